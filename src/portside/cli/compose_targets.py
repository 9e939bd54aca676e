"""portside compose start | stop | restart | kill | rm: the engine's per-container
verbs over a project's containers, in dependency order (stop and rm: dependents
first)."""

from __future__ import annotations

from .compose import project
from .compose_up import say_to
from .context import Context, Parser

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from ..engine.rows import ContainerRow

_ABOUT = {
    "start": "Start services",
    "stop": "Stop services",
    "restart": "Restart service containers",
    "kill": "Force stop service containers",
    "rm": "Removes stopped service containers",
}


def run(ctx: Context, argv: list[str]) -> int:
    verb = ctx.verb.split()[-1]
    p = Parser(ctx.verb, "[OPTIONS] [SERVICE...]", _ABOUT[verb])
    if verb in ("stop", "restart"):
        p.add_argument(
            "-t", "--timeout", type=int, default=None, help="Specify a shutdown timeout in seconds"
        )
    if verb == "kill":
        p.add_argument("-s", "--signal", default="SIGKILL", help="SIGNAL to send to the container")
    if verb == "rm":
        p.add_argument("-f", "--force", action="store_true", help="Don't ask to confirm removal")
        p.add_argument(
            "-s",
            "--stop",
            action="store_true",
            help="Stop the containers, if required, before removing",
        )
        p.add_argument(
            "-v",
            "--volumes",
            action="store_true",
            help="Remove any anonymous volumes attached to containers",
        )
    p.add_argument("service", nargs="*")
    args = p.parse_args(argv)  # fmt: skip
    from ..compose.project_state import containers, service_of, with_dependencies

    proj = project(ctx, args.service)
    names = args.service or list(proj.enabled)
    order = [n for n in with_dependencies(proj, names) if n in names]
    rank = {name: i for i, name in enumerate(order)}
    rows = [r for r in containers(ctx.engine, proj.name, names) if service_of(r) in rank]
    rows.sort(key=lambda r: rank[service_of(r)], reverse=verb in ("stop", "kill", "rm"))
    say = say_to(ctx)
    lifecycle = ctx.engine.lifecycle
    running = [r for r in rows if r.status in ("running", "restarting", "paused")]
    if verb == "start":
        for row in rows:
            if row.status not in ("running", "restarting", "paused"):
                say("Container", row.name, "Starting")
                lifecycle.start(row.id)
                say("Container", row.name, "Started")
    elif verb == "stop":
        for row in running:
            say("Container", row.name, "Stopping")
            lifecycle.stop(row.id, args.timeout)
            say("Container", row.name, "Stopped")
    elif verb == "restart":
        from ..compose.up import restart_container, restart_for

        for row in rows:
            restart_container(ctx.engine, row, say, args.timeout)
        # then what depends on them with restart: true, in start order
        done = {service_of(r) for r in rows}
        for name in with_dependencies(proj, list(proj.enabled)):
            if name in done or not restart_for(proj, name, done):
                continue
            done.add(name)
            for row in containers(ctx.engine, proj.name, [name]):
                if row.status == "running":
                    restart_container(ctx.engine, row, say, args.timeout)
    elif verb == "kill":
        for row in running:
            say("Container", row.name, "Killing")
            lifecycle.kill(row.id, args.signal)
            say("Container", row.name, "Killed")
    else:
        return _rm(ctx, rows, args.force, args.stop, args.volumes)
    return 0


def _rm(ctx: Context, rows: list[ContainerRow], force: bool, stop: bool, volumes: bool) -> int:
    from .prompt import confirm

    say = say_to(ctx)
    if stop:
        for row in rows:
            if row.status in ("running", "restarting", "paused"):
                say("Container", row.name, "Stopping")
                ctx.engine.lifecycle.stop(row.id)
                say("Container", row.name, "Stopped")
        rows = [ctx.engine.containers.get(r.id) for r in rows]
    stopped = [r for r in rows if r.status not in ("running", "restarting", "paused")]
    if not stopped:
        ctx.stderr.write("No stopped containers\n")
        return 0
    names = ", ".join(r.name for r in stopped)
    if not force and not confirm(ctx, f"Going to remove {names}"):
        return 0
    for row in stopped:
        say("Container", row.name, "Removing")
        ctx.engine.containers.remove(row.id, volumes=volumes)
        say("Container", row.name, "Removed")
    return 0
