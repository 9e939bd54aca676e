"""portside push: an image to a registry."""

from __future__ import annotations

from .context import Context, Parser
from .output import line_writer


def run(ctx: Context, argv: list[str]) -> int:
    p = Parser(ctx.verb, "[OPTIONS] NAME[:TAG]", "Upload an image to a registry")
    p.add_argument("-q", "--quiet", action="store_true", help="Suppress verbose output")
    p.add_argument("name", nargs="*")
    args = p.parse_args(argv)
    p.need(args.name, 1, 1)

    digest = ctx.engine.registry.push(args.name[0], line_writer(ctx.stdout, args.quiet))
    if args.quiet:
        ctx.stdout.write(digest + "\n")
    return 0
