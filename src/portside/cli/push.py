"""portside push: an image to a registry."""

from __future__ import annotations

from ..progress import layer_progress
from .context import Context, Parser, add_tls_verify


def run(ctx: Context, argv: list[str]) -> int:
    p = Parser(ctx.verb, "[OPTIONS] NAME[:TAG]", "Upload an image to a registry")
    p.add_argument("-q", "--quiet", action="store_true", help="Suppress verbose output")
    p.add_argument(
        "-a", "--all-tags", action="store_true", help="Push all tags of an image to the repository"
    )
    add_tls_verify(p)
    p.add_argument("name", nargs="*")
    args = p.parse_args(argv)
    p.need(args.name, 1, 1)
    registry = ctx.engine.registry
    out = layer_progress(ctx.stdout, args.quiet)
    names = [args.name[0]]
    if args.all_tags:
        names = registry.local_tags(args.name[0])
    for name in names:
        digest = registry.push(name, out, args.tls_verify)
        if args.quiet:
            ctx.stdout.write(digest + "\n")
    return 0
