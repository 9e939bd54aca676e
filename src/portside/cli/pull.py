"""portside pull: an image from a registry."""

from __future__ import annotations

from ..progress import layer_progress
from .context import Context, Parser, add_tls_verify


def run(ctx: Context, argv: list[str]) -> int:
    p = Parser(ctx.verb, "[OPTIONS] NAME[:TAG|@DIGEST]", "Download an image from a registry")
    p.add_argument("-q", "--quiet", action="store_true", help="Suppress verbose output")
    p.add_argument(
        "--platform", default="", help="Set platform if server is multi-platform capable"
    )
    p.add_argument(
        "-a", "--all-tags", action="store_true", help="Download all tagged images in the repository"
    )
    add_tls_verify(p)
    p.add_argument("name", nargs="*")
    args = p.parse_args(argv)
    p.need(args.name, 1, 1)
    from ..engine.references import normalized

    registry = ctx.engine.registry
    out = layer_progress(ctx.stdout, args.quiet)
    if not args.all_tags:
        registry.pull(args.name[0], out, args.platform, args.tls_verify)
        ctx.stdout.write(normalized(args.name[0]) + "\n")
        return 0
    name = registry.pull_all_tags(args.name[0], out, args.platform, args.tls_verify)
    ctx.stdout.write(name + "\n")
    return 0
