"""portside tag / image tag"""

from __future__ import annotations

from .context import Context, Parser


def run(ctx: Context, argv: list[str]) -> int:
    p = Parser(
        ctx.verb,
        "SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
        "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE",
    )
    p.add_argument("names", nargs="*")
    args = p.parse_args(argv)
    p.need(args.names, 2, 2)
    ctx.engine.images.tag(args.names[0], args.names[1])
    return 0
