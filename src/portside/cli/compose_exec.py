"""portside compose exec | run: a command in a service's running container (through
``portside exec``), or in a one-off container of the service (``run``, named
``PROJECT-SERVICE-run-HEX`` and labelled ``oneoff``)."""

from __future__ import annotations

import secrets
import sys

from ..errors import InvalidArgument
from .compose import project
from .context import Context, Parser
from .parser import Namespace


def run(ctx: Context, argv: list[str]) -> int:
    verb = ctx.verb.split()[-1]
    about = (
        "Execute a command in a running container"
        if verb == "exec"
        else "Run a one-off command on a service"
    )
    p = Parser(ctx.verb, "[OPTIONS] SERVICE COMMAND [ARGS...]", about)
    p.add_argument(
        "-d", "--detach", action="store_true", help="Detached mode: Run command in the background"
    )
    p.add_argument("-e", "--env", action="append", default=[], help="Set environment variables")
    p.add_argument(
        "-T",
        "--no-TTY",
        dest="no_tty",
        action="store_true",
        help="Disable pseudo-TTY allocation (default: auto-detected)",
    )
    p.add_argument("-u", "--user", default=None, help="Run the command as this user")
    p.add_argument(
        "-w", "--workdir", default=None, help="Path to workdir directory for this command"
    )
    if verb == "exec":
        p.add_argument(
            "--index",
            type=int,
            default=1,
            help="Index of the container if service has multiple replicas",
        )
    else:
        p.add_argument(
            "--rm", action="store_true", help="Automatically remove the container when it exits"
        )
        p.add_argument("--no-deps", action="store_true", help="Don't start linked services")
        p.add_argument("--name", default="", help="Assign a name to the container")
    p.add_argument("service", nargs="?")
    p.add_argument("command", nargs="...")
    args = p.parse_args(argv)  # fmt: skip
    p.need([a for a in (args.service,) if a], 1)
    tty = not args.no_tty and sys.stdin.isatty() and sys.stdout.isatty()
    if verb == "exec":
        return _exec(ctx, args, tty)
    return _run(ctx, args, tty)


def _exec(ctx: Context, args: Namespace, tty: bool) -> int:
    from ..compose.project_state import containers, number_of
    from . import exec_

    proj = project(ctx, [args.service])
    rows = [
        r
        for r in containers(ctx.engine, proj.name, [args.service])
        if r.status == "running" and number_of(r) == args.index
    ]
    if not rows:
        raise InvalidArgument(f'service "{args.service}" is not running')
    if not args.command:
        raise InvalidArgument("exec needs a command")
    words = ["-d"] if args.detach else ["-i"]
    words += ["-t"] if tty else []
    words += [f"--env={e}" for e in args.env]
    words += [f"--user={args.user}"] if args.user else []
    words += [f"--workdir={args.workdir}"] if args.workdir else []
    return exec_.run(ctx, [*words, rows[0].id, *args.command])


def _run(ctx: Context, args: Namespace, tty: bool) -> int:
    """A one-off container of the service: its dependencies up first (unless
    ``--no-deps``), the service's own ports not published, attached unless ``-d``."""
    from ..compose.labels import config_hash
    from ..compose.options import image_of
    from ..compose.project_state import containers, image_id, with_dependencies
    from ..compose.up import UpOptions, create, ensure_resources, up
    from .attaching import relay
    from .compose_images import build_service, pull_service
    from .compose_up import say_to

    service = args.service
    proj = project(ctx, [service])
    svc = proj.services[service]
    say = say_to(ctx)

    def build(name: str) -> str:
        return build_service(ctx, proj, name)

    def pull(name: str) -> None:
        pull_service(ctx, proj, name)

    deps = [d for d in with_dependencies(proj, [service]) if d != service]
    if deps and not args.no_deps:
        up(ctx.engine, proj, UpOptions(services=tuple(deps)), say, build, pull)
    ensure_resources(ctx.engine, proj, [service], say)
    if not image_id(ctx.engine, image_of(proj, service)):
        (build if "build" in svc else pull)(service)
    interactive = not args.detach and sys.stdin.isatty()
    change: dict[str, object] = {
        "tty": tty,
        "stdin_open": interactive,
        "attach": () if args.detach else ("stdin", "stdout", "stderr")[0 if interactive else 1 :],
        "auto_remove": False,
    }
    if args.name:
        change["name"] = args.name
    if args.user:
        change["user"] = args.user
    if args.workdir:
        change["workdir"] = args.workdir
    number = len(containers(ctx.engine, proj.name, [service], oneoff=True)) + 1
    opts_env = list(args.env)
    row = create(
        ctx.engine,
        proj,
        service,
        number,
        config_hash(svc),
        oneoff=secrets.token_hex(6),
        command=list(args.command) or None,
        change=change,
        extra_env=tuple(opts_env),
    )
    if args.detach:
        ctx.engine.lifecycle.start(row.id)
        ctx.stdout.write(row.name + "\n")
        return 0
    started = ctx.engine.lifecycle.start(row.id, attach=True)
    assert started.attach is not None
    ctx.stdout.flush()
    try:
        relay(ctx, started.row, started.attach, sig_proxy=True)
        return ctx.engine.lifecycle.wait(row.id)
    finally:
        if args.rm:
            ctx.engine.containers.remove(row.id, force=True, volumes=True)
