"""portside system df: disk space used by images, containers, volumes and build cache;
``-v`` for each one's share, ``--format`` over Docker's fields."""

from __future__ import annotations

from ..engine.references import image_name
from ..timefmt import format_rfc3339, parse_rfc3339
from ..units import human_size
from .context import Context, Parser
from .output import go_time, go_time_text, since, tabwrite, write_formatted

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import Any

    from ..engine.disk_usage import DiskUsage, DiskUsageReport

HEADERS = {
    "Type": "TYPE",
    "TotalCount": "TOTAL",
    "Active": "ACTIVE",
    "Size": "SIZE",
    "Reclaimable": "RECLAIMABLE",
}
SUMMARY = "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}"


def run(ctx: Context, argv: list[str]) -> int:
    p = Parser("system df", "[OPTIONS]", "Show portside disk usage")
    p.add_argument("--format", default="", help="Pretty-print images using a Go template")
    p.add_argument(
        "-v", "--verbose", action="store_true", help="Show detailed information on space usage"
    )
    args = p.parse_args(argv)
    report = ctx.engine.system.disk_usage()
    if not args.verbose:
        write_formatted(
            args.format or SUMMARY, [_summary(u) for u in report.summary], HEADERS, ctx.stdout
        )
        return 0
    sections = _verbose(ctx, report)
    if args.format:
        from .gotemplate import Template

        fmt = args.format.strip(" ").replace("\\t", "\t").replace("\\n", "\n")
        ctx.stdout.write(Template(fmt).render(sections) + "\n")
        return 0
    _write_verbose(ctx, sections, report.cache_size)
    return 0


def _summary(u: DiskUsage) -> dict[str, str]:
    """Docker's row, its fields in the order of its ``{{json .}}``."""
    reclaimable = human_size(u.reclaimable)
    if u.size and u.type != "Build Cache":
        reclaimable += f" ({u.reclaimable * 100 // u.size}%)"
    return {
        "Active": str(u.active),
        "Reclaimable": reclaimable,
        "Size": human_size(u.size),
        "TotalCount": str(u.total),
        "Type": u.type,
    }


def _verbose(ctx: Context, report: DiskUsageReport) -> dict[str, list[dict[str, Any]]]:
    """What ``-v`` shows, as Docker's ``{{json .}}`` of it names it."""
    from .ps import row_of

    images = []
    for i in report.images:
        repo = tag = "<none>"
        if i.repo_tags:  # Docker shows the first name only
            ref = image_name(i.repo_tags[0])
            repo, tag = ref.familiar_name, ref.tag or "<none>"
        created = parse_rfc3339(i.created)
        images.append(
            {
                "Containers": str(i.containers),
                "CreatedAt": go_time(created) if created else "",
                "CreatedSince": since(created),
                "Digest": "",
                "ID": i.id,
                "Repository": repo,
                "SharedSize": human_size(i.shared_size),
                "Size": human_size(i.size),
                "Tag": tag,
                "UniqueSize": human_size(i.size - i.shared_size),
                "VirtualSize": human_size(i.size),
            }
        )
    names = ctx.engine.containers.network_names()
    containers = []
    for c in report.containers:
        row = row_of(c.row, {}, True, human_size(c.size), None, names.get(c.row.id))
        row["LocalVolumes"] = str(c.volumes)
        containers.append(dict(sorted(row.items())))
    volumes = [
        {
            "Driver": "local",
            "Labels": "",
            "Links": str(v.links),
            "Mountpoint": str(ctx.engine.volumes.data(v.name)),
            "Name": v.name,
            "Scope": "local",
            "Size": human_size(v.size),
        }
        for v in report.volumes
    ]
    cache = [
        {
            "CacheType": e.type,
            "CreatedAt": go_time_text(format_rfc3339(e.created)),
            "CreatedSince": since(e.created),
            "Description": e.description,
            "ID": e.key.removeprefix("sha256:")[:25],
            "InUse": str(e.in_use).lower(),
            "LastUsedAt": go_time_text(format_rfc3339(e.last_used)),
            "LastUsedSince": since(e.last_used),
            "Parent": "",
            "Shared": str(e.shared).lower(),
            "Size": human_size(e.size),
            "UsageCount": "N/A",  # the store does not count a step's cache hits
        }
        for e in report.cache
    ]
    return {"Images": images, "Containers": containers, "Volumes": volumes, "BuildCache": cache}


def _write_verbose(
    ctx: Context, sections: dict[str, list[dict[str, Any]]], cache_size: int
) -> None:
    """Docker's four sections, each its own aligned table."""
    out = ctx.stdout
    out.write("Images space usage:\n\n")
    tabwrite(
        [
            "REPOSITORY\tTAG\tIMAGE ID\tCREATED\tSIZE\tSHARED SIZE\tUNIQUE SIZE\tCONTAINERS",
            *(
                "\t".join(
                    [
                        i["Repository"],
                        i["Tag"],
                        i["ID"].removeprefix("sha256:")[:12],
                        i["CreatedSince"],
                        i["Size"],
                        i["SharedSize"],
                        i["UniqueSize"],
                        i["Containers"],
                    ]
                )
                for i in sections["Images"]
            ),
        ],
        out,
    )
    out.write("\nContainers space usage:\n\n")
    tabwrite(
        [
            "CONTAINER ID\tIMAGE\tCOMMAND\tLOCAL VOLUMES\tSIZE\tCREATED\tSTATUS\tNAMES",
            *(
                "\t".join(
                    [
                        c["ID"][:12],
                        c["Image"],
                        _short_command(c["Command"]),
                        c["LocalVolumes"],
                        c["Size"],
                        c["RunningFor"],
                        c["Status"],
                        c["Names"],
                    ]
                )
                for c in sections["Containers"]
            ),
        ],
        out,
    )
    out.write("\nLocal Volumes space usage:\n\n")
    tabwrite(
        [
            "VOLUME NAME\tLINKS\tSIZE",
            *("\t".join([v["Name"], v["Links"], v["Size"]]) for v in sections["Volumes"]),
        ],
        out,
    )
    out.write(f"\nBuild cache usage: {human_size(cache_size)}\n\n")
    tabwrite(
        [
            "CACHE ID\tCACHE TYPE\tSIZE\tCREATED\tLAST USED\tUSAGE\tSHARED",
            *(
                "\t".join(
                    [
                        b["ID"][:12],
                        b["CacheType"],
                        b["Size"],
                        b["CreatedSince"],
                        b["LastUsedSince"],
                        b["UsageCount"],
                        b["Shared"],
                    ]
                )
                for b in sections["BuildCache"]
            ),
        ],
        out,
    )


def _short_command(quoted: str) -> str:
    """ps's COMMAND cell: at most 20 characters inside the quotes."""
    command = quoted[1:-1]
    if len(command) > 20:
        command = command[:19] + "…"
    return f'"{command}"'
