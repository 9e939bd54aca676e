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
HOST = "host directory, no container (the same dd, in turn with the two above)"


def _dd_seconds(argv: list[str], env: dict[str, str]) -> float:
    done = subprocess.run(argv, capture_output=True, timeout=600, env={**os.environ, **env})
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: {done.stderr.decode(errors='replace')}")
    return float(done.stderr.decode().strip().splitlines()[-1])


def bench_engine(engine: Engine, work: Path, repeat: int) -> dict[str, float]:
    """Host, bind mount and volume in turn, ``repeat`` times (interleaved, so the disk's
    state drifts alike for all three); their medians."""
    bind, host_dir = work / f"bind-{engine.name}", work / f"host-{engine.name}"
    bind.mkdir(exist_ok=True)
    host_dir.mkdir(exist_ok=True)
    engine.run("volume", "create", "bench-io")
    timed = ["busybox", "time", "-f", "%e", *DD, "of=/m/f"]
    busybox = shutil.which("busybox") or "busybox"
    runs = {
        HOST: [busybox, "time", "-f", "%e", busybox, *DD, f"of={host_dir}/f"],
        BIND: engine.cmd("run", "--rm", "-v", f"{bind}:/m", *timed),
        VOLUME: engine.cmd("run", "--rm", "-v", "bench-io:/m", *timed),
    }
    samples: dict[str, list[float]] = {name: [] for name in runs}
    try:
        for _ in range(repeat):
            for name, argv in runs.items():
                samples[name].append(_dd_seconds(argv, engine.env))
    finally:
        engine.run("volume", "rm", "-f", "bench-io", check=False)
        shutil.rmtree(bind, ignore_errors=True)
        shutil.rmtree(host_dir, ignore_errors=True)
    return {name: statistics.median(values) for name, values in samples.items()}


def storage_rows(engines: list[Engine], work: Path, repeat: int) -> list[Row]:
    return busybox_rows(engines, work, lambda e: bench_engine(e, work, repeat), {})


STORAGE_NOTE = """Each engine's container writes 512 MiB of zeros with busybox `dd bs=1M
conv=fsync` to a bind mount of a host directory and to a named volume (all on the
same ext4 disk), timed inside the container by busybox `time` (10 ms resolution, so
the CLI's start is not in it). The host row runs the same `dd` on the host, outside
any container, on the same disk, taking turns with the two container rows so the disk's
state drifts alike for all three; each engine's column has its own host figure. A bind
mount and a volume are plain directories bind-mounted by runc, so they should cost
nothing over it. Compare within a column, the container rows against that column's host
row: the disk's speed drifts between the engines' turns, as the host row itself shows,
so the ratio column says little here."""
