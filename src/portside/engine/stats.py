"""``stats``: what each running container uses, from its cgroups (runtime/cgroups.py)
and its network namespace's counters, as Docker's columns show it."""

from __future__ import annotations

import time
from pathlib import Path

from ..records import dataclass
from ..runtime import cgroups
from ..store.containers import ContainerRow
from .container_state import UP


@dataclass(frozen=True)
class Stats:
    row: ContainerRow
    cpu_percent: float  # of one CPU, as Docker's (200 % is two CPUs busy)
    memory: int
    memory_limit: int
    net_rx: int
    net_tx: int
    block_read: int
    block_write: int
    pids: int


def _usage(row: ContainerRow) -> cgroups.Usage:
    """A running container's usage: its cgroup's; rootless, where it has none, summed
    over the processes of its PID namespace (runtime/pid_namespace.py)."""
    cgroup = cgroups.of(row.id)
    if cgroup:
        return cgroups.usage(cgroup)
    from ..runtime import pid_namespace

    return pid_namespace.usage(row.pid)


def sample(rows: list[ContainerRow], interval: float = 0.5) -> list[Stats]:
    """Two readings ``interval`` apart (the CPU share is the difference); a container
    that is not running reads as zeros."""
    live = [r for r in rows if r.status in UP and r.pid]
    first = {r.id: _usage(r).cpu_ns for r in live}
    start = time.monotonic()
    if live:
        time.sleep(interval)
    elapsed = time.monotonic() - start
    out = []
    for r in rows:
        if r.id not in first:
            out.append(Stats(r, 0.0, 0, 0, 0, 0, 0, 0, 0))
            continue
        u = _usage(r)
        cpu = (u.cpu_ns - first[r.id]) / (elapsed * 1e9) * 100 if elapsed else 0.0
        rx, tx = _net(r.pid)
        out.append(
            Stats(
                r,
                max(cpu, 0.0),
                u.memory,
                u.memory_limit,
                rx,
                tx,
                u.block_read,
                u.block_write,
                u.pids,
            )
        )
    return out


def _net(pid: int) -> tuple[int, int]:
    """Bytes received and sent by the namespace's interfaces (lo aside)."""
    rx = tx = 0
    try:
        lines = Path(f"/proc/{pid}/net/dev").read_text().splitlines()[2:]
    except OSError:
        return 0, 0
    for line in lines:
        name, _, counters = line.partition(":")
        fields = counters.split()
        if name.strip() != "lo" and len(fields) >= 9:
            rx += int(fields[0])
            tx += int(fields[8])
    return rx, tx
