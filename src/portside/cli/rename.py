"""portside rename"""

from __future__ import annotations

from .context import Context, Parser


def run(ctx: Context, argv: list[str]) -> int:
    p = Parser(ctx.verb, "CONTAINER NEW_NAME", "Rename a container")
    p.add_argument("names", nargs="*")
    args = p.parse_args(argv)
    p.need(args.names, 2, 2)
    ctx.engine.containers.rename(args.names[0], args.names[1])
    return 0
