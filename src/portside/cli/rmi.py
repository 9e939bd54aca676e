"""portside rmi / image rm: several targets, one report (or error) each."""

from __future__ import annotations

from .context import Context, Parser
from .reports import write_reports

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from ..engine.targets import TargetReport


def run(ctx: Context, argv: list[str]) -> int:
    p = Parser(ctx.verb, "[OPTIONS] IMAGE [IMAGE...]", "Remove one or more images")
    p.add_argument("-f", "--force", action="store_true", help="Force removal of the image")
    p.add_argument("--no-prune", action="store_true", help="Do not delete untagged parents")
    p.add_argument("images", nargs="*")
    args = p.parse_args(argv)
    p.need(args.images, 1)
    reports = ctx.engine.targets.remove_images(args.images, args.force)
    return write_reports(ctx, reports, _lines, own_exit_codes=True)


def _lines(report: TargetReport) -> list[str]:
    return [
        *(f"Untagged: {name}" for name in report.untagged),
        *(f"Deleted: {image_id}" for image_id in report.deleted),
    ]
