"""portside create"""

from __future__ import annotations

from .context import Context, Parser
from .create_flags import add_flags
from .run import create


def run(ctx: Context, argv: list[str]) -> int:
    p = Parser(
        ctx.verb, "[OPTIONS] IMAGE [COMMAND] [ARG...]", "Create a new container", add_help=False
    )
    add_flags(p)
    args = p.parse_args(argv)
    ctx.stdout.write(create(ctx, args, detach=False) + "\n")
    return 0
