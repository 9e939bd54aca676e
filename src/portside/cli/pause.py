"""portside pause (and, its undoing, ``unpause``)"""

from __future__ import annotations

from .context import Context, Parser
from .reports import write_reports


def run(ctx: Context, argv: list[str]) -> int:
    return write_reports(ctx, ctx.engine.targets.pause(parse(ctx, argv, "Pause")))


def parse(ctx: Context, argv: list[str], verb: str) -> list[str]:
    """The containers named (``pause`` and ``unpause`` take nothing else)."""
    p = Parser(
        ctx.verb,
        "CONTAINER [CONTAINER...]",
        f"{verb} all processes within one or more containers",
    )
    p.add_argument("containers", nargs="*")
    args = p.parse_args(argv)
    p.need(args.containers, 1)
    return list(args.containers)
