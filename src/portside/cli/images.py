"""portside images / image ls"""

from __future__ import annotations

from ..engine.images import ImageSummary
from ..engine.references import image_name
from ..timefmt import parse_rfc3339
from .context import Context, Parser
from .filters import parse_filters
from .output import go_time, human_size, since, write_formatted

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import Any

HEADERS = {
    "ID": "IMAGE ID",
    "Repository": "REPOSITORY",
    "Tag": "TAG",
    "Digest": "DIGEST",
    "CreatedSince": "CREATED",
    "CreatedAt": "CREATED AT",
    "Size": "SIZE",
    "SharedSize": "SHARED SIZE",
    "UniqueSize": "UNIQUE SIZE",
    "VirtualSize": "VIRTUAL SIZE",
    "Containers": "CONTAINERS",
}


def rows_for(image: ImageSummary, no_trunc: bool) -> list[dict[str, Any]]:
    """One row per repository:tag (and per repository@digest without a tag)."""
    created = parse_rfc3339(image.created)
    image_id = image.id if no_trunc else image.id.removeprefix("sha256:")[:12]
    base = {
        "ID": image_id,
        "CreatedSince": since(created),
        "CreatedAt": go_time(created) if created else "",
        "Size": human_size(image.size),
        "SharedSize": "N/A",
        "UniqueSize": "N/A",
        "VirtualSize": human_size(image.size),
        "Containers": "N/A",
    }
    repos: dict[str, tuple[list[str], list[str]]] = {}
    for name in image.repo_tags:
        ref = image_name(name)
        repos.setdefault(ref.familiar_name, ([], []))[0].append(ref.tag)
    for name in image.repo_digests:
        ref = image_name(name)
        repos.setdefault(ref.familiar_name, ([], []))[1].append(ref.digest)
    rows = []
    for repo, (tags, digests) in repos.items():
        digest = digests[0] if digests else "<none>"
        for tag in tags or ["<none>"]:
            rows.append({**base, "Repository": repo, "Tag": tag, "Digest": digest})
    if not rows:
        rows.append({**base, "Repository": "<none>", "Tag": "<none>", "Digest": "<none>"})
    return rows


def run(ctx: Context, argv: list[str]) -> int:
    p = Parser(ctx.verb, "[OPTIONS] [REPOSITORY[:TAG]]", "List images")
    p.add_argument(
        "-a",
        "--all",
        action="store_true",
        help="Show all images (default hides intermediate images)",
    )
    p.add_argument("--digests", action="store_true", help="Show digests")
    p.add_argument(
        "-f",
        "--filter",
        action="append",
        default=[],
        metavar="filter",
        help="Filter output based on conditions provided",
    )
    p.add_argument("--format", default="", help="Format output using a custom template")
    p.add_argument("--no-trunc", action="store_true", help="Don't truncate output")
    p.add_argument("-q", "--quiet", action="store_true", help="Only show image IDs")
    p.add_argument("repository", nargs="?")
    args = p.parse_args(argv)
    filters = parse_filters(args.filter)
    if args.repository:
        filters.setdefault("reference", []).append(args.repository)
    images = ctx.engine.images.list(all=args.all, filters=filters)
    if args.quiet:
        seen = []
        for image in images:
            shown = image.id if args.no_trunc else image.id.removeprefix("sha256:")[:12]
            if shown not in seen:
                seen.append(shown)
        for shown in seen:
            ctx.stdout.write(shown + "\n")
        return 0
    rows = [row for image in images for row in rows_for(image, args.no_trunc)]
    fmt = args.format
    if not fmt:
        digest = "\t{{.Digest}}" if args.digests else ""
        fmt = "table {{.Repository}}\t{{.Tag}}" + digest + "\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
    write_formatted(fmt, rows, HEADERS, ctx.stdout)
    return 0
