"""portside ps / container ls"""

from __future__ import annotations

from ..engine.container_state import status_text
from ..engine.containers import command_of
from ..engine.rows import ContainerRow
from ..timefmt import parse_rfc3339
from ..units import human_size
from .context import Context, Parser
from .filters import parse_filters
from .output import go_time, since, write_formatted

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import Any

HEADERS = {
    "ID": "CONTAINER ID",
    "Image": "IMAGE",
    "Command": "COMMAND",
    "CreatedAt": "CREATED AT",
    "RunningFor": "CREATED",
    "Status": "STATUS",
    "Ports": "PORTS",
    "Names": "NAMES",
    "Size": "SIZE",
    "Labels": "LABELS",
    "State": "STATE",
    "Mounts": "MOUNTS",
    "Networks": "NETWORKS",
    "LocalVolumes": "LOCAL VOLUMES",
}


def row_of(
    row: ContainerRow,
    image_names: dict[str, str],
    no_trunc: bool,
    size: str,
    ports: dict[str, Any] | None = None,
    networks: list[str] | None = None,
) -> dict[str, Any]:
    path, args = command_of(row)
    command = " ".join([path, *args])
    if not no_trunc and len(command) > 20:
        command = command[:19] + "…"
    image = row.image_ref
    return {
        "ID": row.id if no_trunc else row.id[:12],
        "Image": image if image else image_names.get(row.image_id, row.image_id[7:19]),
        "Command": f'"{command}"',
        "CreatedAt": go_time(parse_rfc3339(row.created)),
        "RunningFor": since(parse_rfc3339(row.created)),
        "Status": status_text(row),
        "State": row.status,
        "Ports": _ports_text(ports) if ports else "",
        "Names": row.name,
        "Labels": ",".join(f"{k}={v}" for k, v in (row.config.get("Labels") or {}).items()),
        "Size": size,
        "Mounts": "",
        "Networks": ",".join(networks or []) or _solo_network(row),
        "LocalVolumes": "0",
    }


def _solo_network(row: ContainerRow) -> str:
    """host and none: a container's only network, never an attachment."""
    mode = row.host_config.get("NetworkMode", "")
    return mode if mode in ("host", "none") else ""


def run(ctx: Context, argv: list[str]) -> int:
    p = Parser(ctx.verb, "[OPTIONS]", "List containers")
    p.add_argument(
        "-a", "--all", action="store_true", help="Show all containers (default shows just running)"
    )
    p.add_argument(
        "-f",
        "--filter",
        action="append",
        default=[],
        metavar="filter",
        help="Filter output based on conditions provided",
    )
    p.add_argument("--format", default="", help="Format output using a custom template")
    p.add_argument(
        "-n",
        "--last",
        type=int,
        default=-1,
        help="Show n last created containers (includes all states)",
    )
    p.add_argument(
        "-l",
        "--latest",
        action="store_true",
        help="Show the latest created container (includes all states)",
    )
    p.add_argument("--no-trunc", action="store_true", help="Don't truncate output")
    p.add_argument("-q", "--quiet", action="store_true", help="Only display container IDs")
    p.add_argument("-s", "--size", action="store_true", help="Display total file sizes")
    args = p.parse_args(argv)
    filters = parse_filters(args.filter)
    limit = 1 if args.latest else args.last
    show_all = args.all or limit > 0 or "status" in filters or "exited" in filters
    rows = ctx.engine.containers.list(all=show_all, filters=filters)
    if limit > 0:
        rows = rows[:limit]
    if args.quiet:
        for r in rows:
            ctx.stdout.write((r.id if args.no_trunc else r.id[:12]) + "\n")
        return 0
    names: dict[str, str] = {}
    data = []
    ports = ctx.engine.containers.ports()
    networks = ctx.engine.containers.network_names()
    for r in rows:
        size = ""
        if args.size:
            from ..engine.disk_usage import dir_size

            rw = dir_size(ctx.engine.containers.paths(r.id).upper)
            virtual = rw + ctx.engine.images.row(r.image_id).size
            size = f"{human_size(rw)} (virtual {human_size(virtual)})"
        data.append(row_of(r, names, args.no_trunc, size, ports.get(r.id), networks.get(r.id)))
    fmt = args.format
    if not fmt:
        fmt = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}"
        fmt += "\t{{.Names}}" + ("\t{{.Size}}" if args.size else "")
    write_formatted(fmt, data, HEADERS, ctx.stdout)
    return 0


def _ports_text(ports: dict[str, Any]) -> str:
    from ..engine.ports import ports_text

    return ports_text(ports)
