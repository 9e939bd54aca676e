"""What the kernel's cgroups say of a running container: whether it was killed for
memory, and its usage for ``stats``. runc makes the cgroups (``cgroupsPath``
``/portside/ID``) and removes them at ``runc delete``; this only reads them, on
cgroup v1 (one hierarchy per controller, as on these machines) and v2.
"""

from __future__ import annotations

import os

from ..records import dataclass

ROOT = "/sys/fs/cgroup"


def of(container_id: str) -> str:
    """A container's ``cgroupsPath``, under which runc makes its cgroups. Rootless, none:
    the hierarchy is not the user's, and runc leaves a rootless container in its
    caller's cgroups only when no path is asked for (userns.py)."""
    from ..userns import rootless

    return "" if rootless() else f"/portside/{container_id}"


def _v2() -> bool:
    return os.path.exists(f"{ROOT}/cgroup.controllers")


def _file(controller: str, cgroup: str, name: str) -> str:
    base = ROOT if _v2() else f"{ROOT}/{controller}"
    return os.path.join(base, cgroup.lstrip("/"), name)


def freezer_state(cgroup: str) -> str:
    """The file that says whether the cgroup is frozen (``pause``): ``THAWED`` on v1,
    ``0`` on v2 when it is not."""
    return _file("freezer", cgroup, "cgroup.freeze" if _v2() else "freezer.state")


def _read(controller: str, cgroup: str, name: str) -> str:
    try:
        with open(_file(controller, cgroup, name)) as f:
            return f.read()
    except OSError:
        return ""


def _fields(text: str) -> dict[str, int]:
    out = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].lstrip("-").isdigit():
            out[parts[0]] = int(parts[1])
    return out


def oom_killed(cgroup: str) -> bool:
    """Whether the kernel's OOM killer ended a process of the cgroup (read before
    ``runc delete`` removes it)."""
    if _v2():
        return _fields(_read("memory", cgroup, "memory.events")).get("oom_kill", 0) > 0
    return _fields(_read("memory", cgroup, "memory.oom_control")).get("oom_kill", 0) > 0


@dataclass(frozen=True)
class Usage:
    cpu_ns: int  # CPU time used so far
    memory: int  # bytes, page cache that can be dropped not counted (as Docker's CLI)
    memory_limit: int  # bytes; the host's memory when unlimited
    block_read: int
    block_write: int
    pids: int


def usage(cgroup: str) -> Usage:
    if _v2():
        cpu = _fields(_read("cpu", cgroup, "cpu.stat")).get("usage_usec", 0) * 1000
        stat = _fields(_read("memory", cgroup, "memory.stat"))
        current = int(_read("memory", cgroup, "memory.current") or 0)
        memory = current - stat.get("inactive_file", 0)
        limit_text = _read("memory", cgroup, "memory.max").strip()
        limit = int(limit_text) if limit_text.isdigit() else host_memory()
        io = _read("io", cgroup, "io.stat")
        read = sum(int(w[6:]) for w in io.split() if w.startswith("rbytes="))
        write = sum(int(w[6:]) for w in io.split() if w.startswith("wbytes="))
        pids = int(_read("pids", cgroup, "pids.current") or 0)
        return Usage(cpu, max(memory, 0), limit, read, write, pids)
    cpu = int(_read("cpuacct", cgroup, "cpuacct.usage") or 0)
    stat = _fields(_read("memory", cgroup, "memory.stat"))
    current = int(_read("memory", cgroup, "memory.usage_in_bytes") or 0)
    memory = current - stat.get("total_inactive_file", 0)
    limit = int(_read("memory", cgroup, "memory.limit_in_bytes") or 0)
    limit = min(limit, host_memory()) if limit else host_memory()
    read = write = 0
    for line in _read("blkio", cgroup, "blkio.throttle.io_service_bytes").splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] == "Read":
            read += int(parts[2])
        elif len(parts) == 3 and parts[1] == "Write":
            write += int(parts[2])
    pids = int(_read("pids", cgroup, "pids.current") or 0)
    return Usage(cpu, max(memory, 0), limit, read, write, pids)


def host_memory() -> int:
    with open("/proc/meminfo") as f:
        text = f.read()
    for line in text.splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) * 1024
    return 0
