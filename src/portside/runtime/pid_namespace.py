"""A container's processes found by its PID namespace, for rootless containers, which
have no cgroup of their own (userns.py): ``top`` lists them and ``stats`` sums their
usage from /proc, where root reads the container's cgroup.
"""

from __future__ import annotations

import os
import subprocess

from .cgroups import Usage, host_memory


def members(init_pid: int) -> list[int]:
    """The PIDs (as the host sees them) of every process in ``init_pid``'s namespace."""
    try:
        namespace = os.readlink(f"/proc/{init_pid}/ns/pid")
    except OSError:
        return []
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.readlink(f"/proc/{entry}/ns/pid") == namespace:
                    found.append(int(entry))
            except OSError:
                continue  # gone meanwhile, or not ours to read
    return sorted(found)


def ps(init_pid: int, ps_args: list[str]) -> str:
    """``ps`` on the host with ``ps_args`` (default ``-ef``), only the container's
    processes: the rows whose PID column is one of them, as Docker's daemon filters."""
    pids = {str(p) for p in members(init_pid)}
    out = subprocess.run(
        ["ps", *(ps_args or ["-ef"])], capture_output=True, text=True, check=True
    ).stdout
    lines = out.splitlines()
    if not lines:
        return ""
    titles = lines[0].split()
    column = titles.index("PID") if "PID" in titles else 1
    rows = [ln for ln in lines[1:] if len(ln.split()) > column and ln.split()[column] in pids]
    return "\n".join([lines[0], *rows]) + "\n"


def usage(init_pid: int) -> Usage:
    """CPU time, resident memory, bytes read and written, and the count, summed over
    the container's processes (what has ended is not counted)."""
    ticks = os.sysconf("SC_CLK_TCK")
    page = os.sysconf("SC_PAGE_SIZE")
    cpu = memory = read = write = count = 0
    for pid in members(init_pid):
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{pid}/statm") as f:
                resident = int(f.read().split()[1])
            with open(f"/proc/{pid}/io") as f:
                io = dict(line.split(": ") for line in f.read().splitlines())
        except (OSError, ValueError, IndexError):
            continue
        cpu += (int(fields[11]) + int(fields[12])) * 10**9 // ticks  # utime + stime
        memory += resident * page
        read += int(io.get("read_bytes", 0))
        write += int(io.get("write_bytes", 0))
        count += 1
    return Usage(cpu, memory, host_memory(), read, write, count)
