"""portside unpause"""

from __future__ import annotations

from .context import Context
from .pause import parse
from .reports import write_reports


def run(ctx: Context, argv: list[str]) -> int:
    return write_reports(ctx, ctx.engine.targets.unpause(parse(ctx, argv, "Unpause")))
