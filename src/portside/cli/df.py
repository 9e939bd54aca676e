"""portside system df: disk space used by images, containers, volumes and build cache."""

from __future__ import annotations

from ..units import human_size
from .context import Context, Parser
from .output import tabwrite


def run(ctx: Context, argv: list[str]) -> int:
    p = Parser("system df", "[OPTIONS]", "Show portside disk usage")
    p.parse_args(argv)
    rows = ["TYPE\tTOTAL\tACTIVE\tSIZE\tRECLAIMABLE"]
    for u in ctx.engine.system.disk_usage():
        share = f" ({u.reclaimable * 100 // u.size}%)" if u.size else ""
        if u.type == "Build Cache":
            share = ""
        rows.append(
            f"{u.type}\t{u.total}\t{u.active}\t{human_size(u.size)}\t"
            f"{human_size(u.reclaimable)}{share}"
        )
    tabwrite(rows, ctx.stdout, minwidth=10, padding=3)
    return 0
