"""portside rmi / image rm: several targets, one report (or error) each."""

from __future__ import annotations

from ..errors import PortsideError
from .context import Context, Parser


def run(ctx: Context, argv: list[str]) -> int:
    p = Parser(ctx.verb, "[OPTIONS] IMAGE [IMAGE...]", "Remove one or more images")
    p.add_argument("-f", "--force", action="store_true", help="Force removal of the image")
    p.add_argument("--no-prune", action="store_true", help="Do not delete untagged parents")
    p.add_argument("images", nargs="*")
    args = p.parse_args(argv)
    p.need(args.images, 1)
    status = 0
    for target in args.images:
        try:
            report = ctx.engine.images.remove(target, force=args.force)
        except PortsideError as e:
            ctx.error(str(e))
            status = e.exit_code
            continue
        for name in report.untagged:
            ctx.stdout.write(f"Untagged: {name}\n")
        for image_id in report.deleted:
            ctx.stdout.write(f"Deleted: {image_id}\n")
    return status
