"""portside stats: CPU, memory, network, block I/O and PIDs of containers, streamed
(redrawn every second) or once with --no-stream."""

from __future__ import annotations

import sys

from ..engine.rows import ContainerRow
from ..engine.stats import Stats
from ..units import bytes_size, human_size
from .context import Context, Parser
from .output import write_formatted

HEADERS = {
    "ID": "CONTAINER ID",
    "Container": "CONTAINER",
    "Name": "NAME",
    "CPUPerc": "CPU %",
    "MemUsage": "MEM USAGE / LIMIT",
    "MemPerc": "MEM %",
    "NetIO": "NET I/O",
    "BlockIO": "BLOCK I/O",
    "PIDs": "PIDS",
}
DEFAULT = (
    "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}"
    "\t{{.BlockIO}}\t{{.PIDs}}"
)


def run(ctx: Context, argv: list[str]) -> int:
    from ..engine.stats import sample

    p = Parser(
        ctx.verb,
        "[OPTIONS] [CONTAINER...]",
        "Display a live stream of container(s) resource usage statistics",
    )
    p.add_argument(
        "-a", "--all", action="store_true", help="Show all containers (default shows just running)"
    )
    p.add_argument("--format", default="", help="Pretty-print images using a Go template")
    p.add_argument(
        "--no-stream",
        action="store_true",
        help="Disable streaming stats and only pull the first result",
    )
    p.add_argument("--no-trunc", action="store_true", help="Do not truncate output")
    p.add_argument("containers", nargs="*")
    args = p.parse_args(argv)
    containers = ctx.engine.containers
    fmt = args.format or DEFAULT
    terminal = sys.stdout.isatty() and ctx.stdout is sys.stdout
    while True:
        if args.containers:
            rows = [containers.get(ref) for ref in args.containers]
        else:
            rows = containers.list(all=args.all)
        shown = [
            _row(s, args.no_trunc, ref)
            for s, ref in zip(sample(rows), _refs(args.containers, rows), strict=True)
        ]
        if terminal and not args.no_stream:
            ctx.stdout.write("\033[2J\033[H")
        write_formatted(fmt, shown, HEADERS, ctx.stdout)
        ctx.stdout.flush()
        if args.no_stream:
            return 0


def _refs(given: list[str], rows: list[ContainerRow]) -> list[str]:
    return given if given else [r.id[:12] for r in rows]


def _row(s: Stats, no_trunc: bool, ref: str) -> dict[str, str]:
    mem_pct = s.memory / s.memory_limit * 100 if s.memory_limit else 0.0
    return {
        "ID": s.row.id if no_trunc else s.row.id[:12],
        "Container": ref,
        "Name": s.row.name,
        "CPUPerc": f"{s.cpu_percent:.2f}%",
        "MemUsage": f"{bytes_size(s.memory)} / {bytes_size(s.memory_limit)}",
        "MemPerc": f"{mem_pct:.2f}%",
        "NetIO": f"{human_size(s.net_rx)} / {human_size(s.net_tx)}",
        "BlockIO": f"{human_size(s.block_read)} / {human_size(s.block_write)}",
        "PIDs": str(s.pids),
    }
