"""Container benchmarks: ``run --rm busybox true`` (each engine's default network and
``--network none``), ``ps -a`` over 50 containers and the other short commands
(``images``, ``inspect``, ``rm``, ``version``), and the memory a running container
leaves behind (the RSS of its monitor: conmon for portside and Podman, the shim for Docker).
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

from engines import REPO, Engine
from timing import Row, command, median_seconds

PS_CONTAINERS = 50
MEMORY = "memory per running container (RSS)"


def import_busybox(engine: Engine, rootfs: Path) -> None:
    engine.run("import", "--change", 'CMD ["sh"]', str(rootfs), "busybox:latest")


def busybox_rootfs(work: Path) -> Path:
    out = work / "busybox-rootfs.tar"
    subprocess.run(["bash", str(REPO / "scripts/busybox-rootfs"), str(out)], check=True)
    return out


def monitor_rss_mib(engine: Engine) -> float:
    """RSS of the process that parents a running container's init, in MiB."""
    cid = engine.run("run", "-d", "busybox", "sleep", "600").stdout.decode().strip()
    try:
        pid = engine.run("inspect", "-f", "{{.State.Pid}}", cid).stdout.decode().strip()
        ppid = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1]
        for line in Path(f"/proc/{ppid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError(f"{engine.name}: no VmRSS for the monitor {ppid}")
    finally:
        engine.run("rm", "-f", cid, check=False)


CYCLE = "run -d, stop, rm (default network; three commands)"
STOP_OVER = "stop -t 1 of a PID 1 that ignores TERM: time over the 1 s timeout"


def bench_engine(engine: Engine, repeat: int) -> dict[str, float]:
    results: dict[str, float] = {}
    results["run --rm busybox true (default network)"] = median_seconds(
        command(engine.cmd("run", "--rm", "busybox", "true"), engine.env), repeat=repeat
    )
    results["run --rm --network none busybox true"] = median_seconds(
        command(engine.cmd("run", "--rm", "--network", "none", "busybox", "true"), engine.env),
        repeat=repeat,
    )

    def cycle() -> None:  # a PID 1 that ends on SIGTERM, so stop does not wait for KILL
        out = engine.run("run", "-d", "busybox", "sh", "-c", "trap exit TERM; sleep 60 & wait")
        cid = out.stdout.decode().strip()
        engine.run("stop", cid)
        engine.run("rm", cid)

    results[CYCLE] = median_seconds(cycle, repeat=repeat)
    running: list[str] = []

    def start_ignoring() -> None:  # PID 1 with no TERM handler: stop waits, then KILLs
        running.append(engine.run("run", "-d", "busybox", "sleep", "600").stdout.decode().strip())

    stop = median_seconds(
        lambda: engine.run("stop", "-t", "1", running[-1]), prepare=start_ignoring, repeat=repeat
    )
    engine.run("rm", *running, check=False)
    results[STOP_OVER] = stop - 1.0
    ids = [
        engine.run("create", "busybox", "true").stdout.decode().strip()
        for _ in range(PS_CONTAINERS)
    ]
    try:
        results[f"ps -a ({PS_CONTAINERS} containers)"] = median_seconds(
            command(engine.cmd("ps", "-a"), engine.env), repeat=repeat
        )
        results.update(short_commands(engine, ids[0], repeat))
    finally:
        engine.run("rm", "-f", *ids, check=False)
    results[MEMORY] = monitor_rss_mib(engine)
    return results


def short_commands(engine: Engine, container: str, repeat: int) -> dict[str, float]:
    """issue 24's short commands beside ``ps -a``, over the same 50 containers:
    ``images`` with 50 names (tags of busybox, as cheap in every engine), ``inspect``
    of a container, ``rm`` of a created one (made untimed before each try), and
    ``version``."""
    results: dict[str, float] = {}
    tags = [f"bench-tag-{i}:latest" for i in range(PS_CONTAINERS - 1)]
    for tag in tags:
        engine.run("tag", "busybox:latest", tag)
    try:
        results[f"images ({PS_CONTAINERS} names)"] = median_seconds(
            command(engine.cmd("images"), engine.env), repeat=repeat
        )
    finally:
        engine.run("rmi", *tags, check=False)
    results["inspect (a container)"] = median_seconds(
        command(engine.cmd("inspect", container), engine.env), repeat=repeat
    )
    made: list[str] = []

    def create() -> None:
        made.append(engine.run("create", "busybox", "true").stdout.decode().strip())

    results["rm of a stopped container"] = median_seconds(
        lambda: engine.run("rm", made[-1]), prepare=create, repeat=repeat
    )
    results["version"] = median_seconds(command(engine.cmd("version"), engine.env), repeat=repeat)
    return results


def busybox_rows(
    engines: list[Engine],
    work: Path,
    bench: Callable[[Engine], dict[str, float]],
    units: dict[str, str],
) -> list[Row]:
    """``bench`` run in each engine with the busybox image imported, as table rows in
    the order it measured them; ``units`` for the rows not in seconds."""
    rootfs = busybox_rootfs(work)
    for engine in engines:
        import_busybox(engine, rootfs)
    per_engine = {e.name: bench(e) for e in engines}
    names = list(next(iter(per_engine.values())))
    return [
        Row(n, {engine: r[n] for engine, r in per_engine.items()}, units.get(n, "s")) for n in names
    ]


def container_rows(engines: list[Engine], work: Path, repeat: int) -> list[Row]:
    return busybox_rows(engines, work, lambda e: bench_engine(e, repeat), {MEMORY: "MiB"})


CONTAINERS_NOTE = """`run` starts from the same one-layer busybox image in each engine (imported
from Debian's busybox-static) and includes the CLI's own start. Each engine's default
network is a bridge with a veth per container: portside's own (iproute2 + nftables),
Docker's docker0 (the private dockerd runs without iptables rules), Podman's netavark
bridge; portside's and Docker's stay up between containers. `stop -t 1` stops a `sleep` run as PID 1, which the kernel
shields from a TERM it has no handler for: the row is how long after the KILL that
follows the 1 s the command returns. Memory is the resident size of the one process each engine leaves running per
container besides the container itself."""
