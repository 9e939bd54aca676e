"""portside start: detached by default; -a attaches (and returns the exit code)."""

from __future__ import annotations

from ..errors import UsageError
from .attaching import relay
from .context import Context, Parser
from .reports import write_reports


def run(ctx: Context, argv: list[str]) -> int:
    p = Parser(
        ctx.verb, "[OPTIONS] CONTAINER [CONTAINER...]", "Start one or more stopped containers"
    )
    p.add_argument(
        "-a", "--attach", action="store_true", help="Attach STDOUT/STDERR and forward signals"
    )
    p.add_argument("-i", "--interactive", action="store_true", help="Attach container's STDIN")
    p.add_argument(
        "--detach-keys",
        default="ctrl-p,ctrl-q",
        help="Override the key sequence for detaching a container",
    )
    p.add_argument("containers", nargs="*")
    args = p.parse_args(argv)
    p.need(args.containers, 1)
    life = ctx.engine.lifecycle
    if not (args.attach or args.interactive):
        return write_reports(ctx, ctx.engine.targets.start(args.containers))
    if len(args.containers) > 1:
        raise UsageError("you cannot start and attach multiple containers at once")
    row = ctx.engine.containers.get(args.containers[0])
    if row.status == "running":
        sock = ctx.engine.attach.connect(row.id)
    else:
        started = life.start(row.id, attach=True)
        assert started.attach is not None
        row, sock = started.row, started.attach
    if relay(ctx, row, sock) == "detached":
        return 0
    return life.wait(row.id)
