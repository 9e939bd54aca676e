"""Storage benchmarks: the time a container takes to write 512 MiB and fsync it (busybox
``dd bs=1M conv=fsync``, timed by busybox ``time`` inside the container) to a bind
mount and to a named volume, beside the same ``dd`` on the host's disk.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
from pathlib import Path

from containers import busybox_rows
from engines import Engine
from timing import Row

DD = ["dd", "if=/dev/zero", "bs=1M", "count=512", "conv=fsync"]
BIND = "bind mount: write 512 MiB + fsync"
VOLUME = "named volume: write 512 MiB + fsync"
HOST = "host directory, no container (the same dd)"


def _dd_seconds(argv: list[str], env: dict[str, str]) -> float:
    done = subprocess.run(argv, capture_output=True, timeout=600, env={**os.environ, **env})
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: {done.stderr.decode(errors='replace')}")
    return float(done.stderr.decode().strip().splitlines()[-1])


def _median(repeat: int, argv: list[str], env: dict[str, str] | None = None) -> float:
    return statistics.median(_dd_seconds(argv, env or {}) for _ in range(repeat))


def bench_engine(engine: Engine, work: Path, repeat: int, host: float) -> dict[str, float]:
    bind = work / f"bind-{engine.name}"
    bind.mkdir(exist_ok=True)
    engine.run("volume", "create", "bench-io")
    timed = ["busybox", "time", "-f", "%e", *DD, "of=/m/f"]
    try:
        return {
            BIND: _median(
                repeat, engine.cmd("run", "--rm", "-v", f"{bind}:/m", *timed), engine.env
            ),
            VOLUME: _median(
                repeat, engine.cmd("run", "--rm", "-v", "bench-io:/m", *timed), engine.env
            ),
            HOST: host,
        }
    finally:
        engine.run("volume", "rm", "-f", "bench-io", check=False)
        shutil.rmtree(bind, ignore_errors=True)


def storage_rows(engines: list[Engine], work: Path, repeat: int) -> list[Row]:
    target = work / "host-io"
    target.mkdir(exist_ok=True)
    busybox = shutil.which("busybox") or "busybox"
    host = _median(repeat, [busybox, "time", "-f", "%e", busybox, *DD, f"of={target}/f"])
    shutil.rmtree(target, ignore_errors=True)
    return busybox_rows(engines, work, lambda e: bench_engine(e, work, repeat, host), {})


STORAGE_NOTE = """Each engine's container writes 512 MiB of zeros with busybox `dd bs=1M
conv=fsync` to a bind mount of a host directory and to a named volume (all on the
same ext4 disk), timed inside the container by busybox `time` (10 ms resolution, so
the CLI's start is not in it). The host row runs the same `dd` on the host, outside
any container, for the same disk: a bind mount and a volume are plain directories
bind-mounted by runc, so they should cost nothing over it."""
