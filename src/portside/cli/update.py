"""portside update: new resource limits or restart policy for containers."""

from __future__ import annotations

from ..engine.targets import UpdateOptions
from .context import Context, Parser
from .create_flags import add_limit_flags, limits_of
from .reports import write_reports


def run(ctx: Context, argv: list[str]) -> int:
    p = Parser(
        ctx.verb,
        "[OPTIONS] CONTAINER [CONTAINER...]",
        "Update configuration of one or more containers",
    )
    add_limit_flags(p)
    p.add_argument("--restart", default="", help="Restart policy to apply when a container exits")
    p.add_argument("containers", nargs="*")
    args = p.parse_args(argv)
    p.need(args.containers, 1)
    limits = limits_of(args)
    if not limits.given() and not args.restart:
        ctx.error("you must provide one or more flags when using this command")
        return 1
    options = UpdateOptions(limits, args.restart)
    return write_reports(ctx, ctx.engine.targets.update(args.containers, options))
