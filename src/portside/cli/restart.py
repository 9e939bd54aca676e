"""portside restart"""

from __future__ import annotations

from ..engine.targets import StopOptions
from .context import Context
from .reports import write_reports
from .stop import stop_parser


def run(ctx: Context, argv: list[str]) -> int:
    p = stop_parser(ctx, "Restart one or more containers")
    args = p.parse_args(argv)
    p.need(args.containers, 1)
    return write_reports(ctx, ctx.engine.targets.restart(args.containers, StopOptions(args.time)))
