"""portside wait"""

from __future__ import annotations

from .context import Context, Parser
from .reports import write_reports


def run(ctx: Context, argv: list[str]) -> int:
    p = Parser(
        ctx.verb,
        "CONTAINER [CONTAINER...]",
        "Block until one or more containers stop, then print their exit codes",
    )
    p.add_argument("containers", nargs="*")
    args = p.parse_args(argv)
    p.need(args.containers, 1)
    return write_reports(
        ctx, ctx.engine.targets.wait(args.containers), lambda report: [str(report.exit_code)]
    )
