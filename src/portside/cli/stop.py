"""portside stop"""

from __future__ import annotations

from ..engine.targets import StopOptions
from .context import Context, Parser
from .reports import write_reports


def run(ctx: Context, argv: list[str]) -> int:
    p = stop_parser(ctx, "Stop one or more running containers")
    args = p.parse_args(argv)
    p.need(args.containers, 1)
    return write_reports(ctx, ctx.engine.targets.stop(args.containers, StopOptions(args.time)))


def stop_parser(ctx: Context, description: str) -> Parser:
    """``stop``'s flags, which ``restart`` takes too."""
    p = Parser(ctx.verb, "[OPTIONS] CONTAINER [CONTAINER...]", description)
    p.add_argument(
        "-t",
        "--timeout",
        "--time",
        dest="time",
        type=int,
        default=None,
        help="Seconds to wait before killing the container",
    )
    p.add_argument("-s", "--signal", default=None, help="Signal to send to the container")
    p.add_argument("containers", nargs="*")
    return p
