"""portside compose config: the merged, interpolated model, as YAML."""

from __future__ import annotations

from .compose import project
from .context import Context, Parser


def run(ctx: Context, argv: list[str]) -> int:
    p = Parser(ctx.verb, "[OPTIONS] [SERVICE...]", "Parse, resolve and render compose file")
    p.add_argument("-q", "--quiet", action="store_true", help="Only validate the configuration")
    p.add_argument("--services", action="store_true", help="Print the service names")
    p.add_argument("--volumes", action="store_true", help="Print the volume names")
    p.add_argument("service", nargs="*")
    args = p.parse_args(argv)
    loaded = project(ctx, args.service)
    if args.quiet:
        return 0
    if args.services:
        ctx.stdout.write("".join(f"{name}\n" for name in loaded.enabled))
        return 0
    if args.volumes:
        ctx.stdout.write("".join(f"{name}\n" for name in loaded.volumes))
        return 0
    from ..compose.yamlfile import dump

    model = loaded.to_dict()
    if args.service:
        model["services"] = {k: v for k, v in model["services"].items() if k in args.service}
    ctx.stdout.write(dump(model))
    return 0
