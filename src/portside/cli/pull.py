"""portside pull: an image from a registry."""

from __future__ import annotations

from ..errors import InvalidArgument
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
    from ..image.reference import parse_tagged

    registry = ctx.engine.registry
    out = layer_progress(ctx.stdout, args.quiet)
    if not args.all_tags:
        registry.pull(args.name[0], out, args.platform, args.tls_verify)
        ctx.stdout.write(str(parse_tagged(args.name[0])) + "\n")
        return 0
    ref = parse_tagged(args.name[0])
    if ref.digest is not None or ":" in args.name[0].rsplit("/", 1)[-1]:
        raise InvalidArgument("tag can't be used with --all-tags/-a")
    for tag in registry.tags(args.name[0], args.tls_verify):
        registry.pull(str(ref.with_tag(tag)), out, args.platform, args.tls_verify)
    ctx.stdout.write(ref.name + "\n")
    return 0
