"""portside pull: an image from a registry."""

from __future__ import annotations

from .context import Context, Parser
from .output import line_writer


def run(ctx: Context, argv: list[str]) -> int:
    p = Parser(ctx.verb, "[OPTIONS] NAME[:TAG|@DIGEST]", "Download an image from a registry")
    p.add_argument("-q", "--quiet", action="store_true", help="Suppress verbose output")
    p.add_argument(
        "--platform", default="", help="Set platform if server is multi-platform capable"
    )
    p.add_argument("name", nargs="*")
    args = p.parse_args(argv)
    p.need(args.name, 1, 1)
    from ..image.reference import parse_tagged

    ctx.engine.registry.pull(args.name[0], line_writer(ctx.stdout, args.quiet))
    ctx.stdout.write(str(parse_tagged(args.name[0])) + "\n")
    return 0
