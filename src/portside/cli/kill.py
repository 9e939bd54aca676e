"""portside kill"""

from __future__ import annotations

from ..engine.targets import KillOptions
from .context import Context, Parser
from .reports import write_reports


def run(ctx: Context, argv: list[str]) -> int:
    usage = "[OPTIONS] CONTAINER [CONTAINER...]"
    p = Parser(ctx.verb, usage, "Kill one or more running containers")
    p.add_argument("-s", "--signal", default="KILL", help="Signal to send to the container")
    p.add_argument("containers", nargs="*")
    args = p.parse_args(argv)
    p.need(args.containers, 1)
    return write_reports(ctx, ctx.engine.targets.kill(args.containers, KillOptions(args.signal)))
