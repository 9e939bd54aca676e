"""portside history / image history"""

from __future__ import annotations

from ..timefmt import parse_rfc3339
from .context import Context, Parser
from .output import go_time, human_size, since, write_formatted

HEADERS = {
    "ID": "IMAGE",
    "CreatedSince": "CREATED",
    "CreatedAt": "CREATED AT",
    "CreatedBy": "CREATED BY",
    "Size": "SIZE",
    "Comment": "COMMENT",
}


def run(ctx: Context, argv: list[str]) -> int:
    p = Parser(ctx.verb, "[OPTIONS] IMAGE", "Show the history of an image")
    p.add_argument("--format", default="", help="Format output using a custom template")
    p.add_go_bool("-H", True, "Print sizes and dates in human readable format", long="--human")
    p.add_argument("--no-trunc", action="store_true", help="Don't truncate output")
    p.add_argument("-q", "--quiet", action="store_true", help="Only show image IDs")
    p.add_argument("image", nargs="*")
    args = p.parse_args(argv)
    p.need(args.image, 1, 1)
    human = args.human
    rows = []
    for entry in ctx.engine.images.history(args.image[0]):
        image_id = entry.id
        if image_id != "<missing>" and not args.no_trunc:
            image_id = image_id.removeprefix("sha256:")[:12]
        created_by = entry.created_by.replace("\t", " ").replace("\n", " ")
        if not args.no_trunc and len(created_by) > 45:
            created_by = created_by[:44] + "…"
        created = parse_rfc3339(entry.created)
        rows.append(
            {
                "ID": image_id,
                "CreatedSince": since(created) if human else entry.created,
                "CreatedAt": go_time(created) if created else "",
                "CreatedBy": created_by,
                "Size": human_size(entry.size) if human else str(entry.size),
                "Comment": entry.comment,
            }
        )
    if args.quiet:
        for row in rows:
            ctx.stdout.write(row["ID"] + "\n")
        return 0
    fmt = args.format or "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}"
    write_formatted(fmt, rows, HEADERS, ctx.stdout)
    return 0
