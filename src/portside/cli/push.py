"""portside push: an image to a registry."""

from __future__ import annotations

from .context import Context, Parser
from .output import line_writer


def run(ctx: Context, argv: list[str]) -> int:
    p = Parser(ctx.verb, "[OPTIONS] NAME[:TAG]", "Upload an image to a registry")
    p.add_argument("-q", "--quiet", action="store_true", help="Suppress verbose output")
    p.add_argument(
        "-a", "--all-tags", action="store_true", help="Push all tags of an image to the repository"
    )
    p.add_argument("name", nargs="*")
    args = p.parse_args(argv)
    p.need(args.name, 1, 1)
    registry = ctx.engine.registry
    out = line_writer(ctx.stdout, args.quiet)
    names = [args.name[0]]
    if args.all_tags:
        names = registry.local_tags(args.name[0])
    for name in names:
        digest = registry.push(name, out)
        if args.quiet:
            ctx.stdout.write(digest + "\n")
    return 0
