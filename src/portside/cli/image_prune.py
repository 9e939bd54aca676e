"""portside image prune"""

from __future__ import annotations

from ..units import human_size
from .context import Context, Parser
from .filters import parse_filters
from .prompt import confirm

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from ..engine.images import PruneReport


def run(ctx: Context, argv: list[str]) -> int:
    p = Parser(ctx.verb, "[OPTIONS]", "Remove unused images")
    p.add_argument(
        "-a", "--all", action="store_true", help="Remove all unused images, not just dangling ones"
    )
    p.add_argument("-f", "--force", action="store_true", help="Do not prompt for confirmation")
    p.add_argument(
        "--filter", action="append", metavar="filter", default=[], help="Provide filter values"
    )
    args = p.parse_args(argv)
    parse_filters(args.filter)
    warning = (
        "WARNING! This will remove all images without at least one container associated to them."
        if args.all
        else "WARNING! This will remove all dangling images."
    )
    if not args.force and not confirm(ctx, warning):
        return 0
    report = ctx.engine.images.prune(all=args.all)
    write_deleted_images(ctx, report)
    ctx.stdout.write(f"Total reclaimed space: {human_size(report.reclaimed)}\n")
    # layers a cached build step stands on stay (a deleted base image's too): say where,
    # on stderr, so stdout ends as Docker's does for the clients that parse it
    held = ctx.engine.system.cache_only_bytes()
    if held:
        ctx.stderr.write(
            f"Still held by the build cache: {human_size(held)}"
            " (free it with: portside builder prune -a)\n"
        )
    return 0


def write_deleted_images(ctx: Context, report: PruneReport) -> None:
    """Docker's "Deleted Images:" section (image prune, system prune)."""
    if report.items:
        ctx.stdout.write("Deleted Images:\n")
        for item in report.items:
            for name in item.untagged:
                ctx.stdout.write(f"untagged: {name}\n")
            for image_id in item.deleted:
                ctx.stdout.write(f"deleted: {image_id}\n")
        ctx.stdout.write("\n")
