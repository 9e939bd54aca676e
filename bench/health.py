"""Healthcheck benchmarks: what a container probed every second costs the host, in CPU
(a share of one core, over a window) and in the memory of what stays to run the probes.

portside: the container's prober (a shell loop) and everything it runs (``runc exec``,
the probe itself, ``sleep``, ``date``, ``mv``): the prober's own CPU time plus that of
the children it reaped, from /proc. Docker: the CPU of dockerd, its containerd and the
container's shim (and what they reaped: runc, the probes) while the probed container
runs, minus the same over a window with a container without a healthcheck. Podman's
healthchecks run from systemd timers, and these machines have no systemd: none run.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from containers import busybox_rootfs, import_busybox
from engines import Engine
from timing import Row

WINDOW = 20.0  # seconds measured per try
CPU = "healthcheck every 1 s: CPU (% of one core)"
PSS = "healthcheck every 1 s: memory of the prober (PSS)"
RSS = "healthcheck every 1 s: memory of the prober (RSS)"
HELPER_RSS = "healthcheck every 1 s: memory of the helper in the container (RSS)"
HELPER_PSS = "healthcheck every 1 s: memory of the helper in the container (PSS)"
NONE_CPU = "no healthcheck: CPU of the engine's processes (% of one core)"
_HZ = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    """utime + stime + cutime + cstime: the process and the children it reaped."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(x) for x in fields[11:15]) / _HZ


def _memory_mib(pid: int) -> tuple[float, float]:
    rss = pss = 0
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Rss:"):
            rss = int(line.split()[1])
        elif line.startswith("Pss:"):
            pss = int(line.split()[1])
    return rss / 1024, pss / 1024


def _pids_with(*words: str) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if all(w.encode() in cmdline for w in words):
            out.append(int(entry.name))
    return out


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def _share(pids: list[int]) -> float:
    """CPU share (% of one core) of ``pids`` over WINDOW seconds."""
    before = sum(_cpu_seconds(p) for p in pids)
    start = time.monotonic()
    time.sleep(WINDOW)
    elapsed = time.monotonic() - start
    return 100 * (sum(_cpu_seconds(p) for p in pids) - before) / elapsed


def _run(engine: Engine, *flags: str) -> str:
    argv = ["run", "-d", *flags, "busybox", "sleep", "600"]
    return engine.run(*argv).stdout.decode().strip()


HEALTH = ("--health-cmd", "true", "--health-interval", "1s")


def bench_portside(engine: Engine) -> dict[str, float]:
    cid = _run(engine, *HEALTH)
    try:
        time.sleep(3)  # past the first probes
        # the loop leads its session; its short-lived subshells share its command line
        (prober,) = [p for p in _pids_with("portside-health", cid) if os.getsid(p) == p]
        argv = Path(f"/proc/{prober}/cmdline").read_bytes().split(b"\0")
        health_dir = Path(argv[argv.index(b"portside-health") + 1].decode())
        helper = int((health_dir / "helper.pid").read_text() or 0)  # 0: runc exec each
        cpu = _share([prober, helper] if helper else [prober])
        rss, pss = _memory_mib(prober)
        helper_rss, helper_pss = _memory_mib(helper) if helper else (0.0, 0.0)
    finally:
        engine.run("rm", "-f", cid, check=False)
    return {CPU: cpu, PSS: pss, RSS: rss, HELPER_RSS: helper_rss, HELPER_PSS: helper_pss}


def bench_docker(engine: Engine, dockerd_pid: int) -> dict[str, float]:
    def engine_pids(cid: str) -> list[int]:
        return [dockerd_pid, *_children(dockerd_pid), *_pids_with("containerd-shim", cid)]

    quiet = _run(engine)
    try:
        time.sleep(3)
        idle = _share(engine_pids(quiet))
    finally:
        engine.run("rm", "-f", quiet, check=False)
    cid = _run(engine, *HEALTH)
    try:
        time.sleep(3)
        probed = _share(engine_pids(cid))
    finally:
        engine.run("rm", "-f", cid, check=False)
    return {CPU: max(probed - idle, 0.0), NONE_CPU: idle}


def health_rows(engines: list[Engine], work: Path, dockerd_pid: int | None) -> list[Row]:
    def bench(engine: Engine) -> dict[str, float]:
        if engine.name == "portside":
            return bench_portside(engine)
        if engine.name == "docker" and dockerd_pid:
            return bench_docker(engine, dockerd_pid)
        return {}

    rootfs = busybox_rootfs(work)
    per_engine = {}
    for engine in engines:
        if engine.name != "podman":
            import_busybox(engine, rootfs)
            per_engine[engine.name] = bench(engine)
    units = {CPU: "%", NONE_CPU: "%"}
    return [
        Row(n, {e: r[n] for e, r in per_engine.items() if n in r}, units.get(n, "MiB"))
        for n in (CPU, RSS, PSS, HELPER_RSS, HELPER_PSS)
    ]


HEALTH_NOTE = """A container runs `sleep` with `--health-cmd true --health-interval 1s`;
after 3 s, its probes' cost is measured over 20 s. portside: the container's prober (a
shell loop on the host, docs/health.md) with everything it ran and reaped (`sleep`,
`date`, `mv`, its watchdog), plus the helper it keeps in the container (the image's
`/bin/sh`, made once by `runc exec`) with the probes it forked. Docker: dockerd, its
containerd and the container's shim with what they reaped (a `runc exec` per probe),
less the same over a window with an unprobed container. Memory is the prober's and the
helper's (Docker's is a goroutine in dockerd: not separable); the helper is busybox
here, static, so its pages are its own. Podman's healthchecks run from systemd timers;
these machines have no systemd, so it has no column."""
