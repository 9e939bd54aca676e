"""portside update: new resource limits or restart policy for containers."""

from __future__ import annotations

from .context import Context, Parser
from .create_flags import add_limit_flags, limits_of
from .targets import for_each


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
    return for_each(
        ctx,
        args.containers,
        lambda ref: (ctx.engine.lifecycle.update(ref, limits, args.restart), None)[1],
    )
