"""Large-layer benchmarks: ``import``, ``load`` and ``pull`` of an image whose one layer
holds a single 1 GiB file, timed and with their peak memory, beside ``tar`` extracting the
same layer.

Peak memory is the resident set's high-water mark of the process that does the work:
the command itself for portside, Podman and tar (``ru_maxrss`` of the one child waited
for); for Docker its daemon, whose mark is reset before each try (``clear_refs`` 5) and
read after it (``VmHWM``), since the client only sends the bytes.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

from engines import Engine
from isal import igzip
from timing import Row

from tests.integration.registries import serve

GNU_TIME = "/usr/bin/time"  # Debian's package "time"
MiB = 1 << 20
SIZE_MIB = 1024
TAR = "(tar, same layer)"
IMPORT = f"import: {SIZE_MIB} MiB single-file layer (.tar.gz)"
LOAD = f"load: docker-archive, {SIZE_MIB} MiB single-file layer"
PULL = f"pull: {SIZE_MIB} MiB single-file layer, local registry"


def make_layer(work: Path) -> tuple[Path, Path]:
    """(uncompressed tar, gzip of it) of one file: 64 KiB random, 64 KiB zeros, over and
    over. It compresses 2:1, about as binaries do, and costs seconds, not minutes, to
    make."""
    block = b"".join(os.urandom(64 << 10) + bytes(64 << 10) for _ in range(8))
    info = tarfile.TarInfo("large.bin")
    info.size = SIZE_MIB * MiB
    info.mode = 0o644
    plain = work / "large-layer.tar"
    packed = work / "large-layer.tar.gz"
    with open(plain, "wb") as out, igzip.open(packed, "wb", compresslevel=1) as gz:
        for data in (info.tobuf(), *(block for _ in range(SIZE_MIB)), bytes(2 * 512)):
            out.write(data)
            gz.write(data)
    return plain, packed


def _measured(argv: list[str], env: dict[str, str], daemon_pid: int | None) -> tuple[float, int]:
    """(seconds, peak RSS in bytes) of one command, or of the daemon while it ran. The
    command runs under GNU time: a child forked from this (larger) Python process would
    count this process's pages until its exec."""
    if daemon_pid is not None:
        Path(f"/proc/{daemon_pid}/clear_refs").write_text("5")
    with tempfile.NamedTemporaryFile("r") as report:
        start = time.perf_counter()
        done = subprocess.run(
            [GNU_TIME, "-f", "%M", "-o", report.name, *argv],
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        elapsed = time.perf_counter() - start
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)}: {done.stderr.decode(errors='replace')}")
        peak = int(report.read().split()[-1]) * 1024
    if daemon_pid is None:
        return elapsed, peak
    for line in Path(f"/proc/{daemon_pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return elapsed, int(line.split()[1]) * 1024
    raise RuntimeError("dockerd has no VmHWM")


def _medians(
    run: Callable[[], tuple[float, int]], prepare: Callable[[], object], repeat: int
) -> tuple[float, int]:
    times, peaks = [], []
    for _ in range(repeat):
        prepare()
        seconds, peak = run()
        times.append(seconds)
        peaks.append(peak)
    return statistics.median(times), int(statistics.median(peaks))


def _daemon_pid(engine: Engine, work: Path) -> int | None:
    if engine.name != "docker":
        return None
    return int((work / "dockerd.pid").read_text().strip())


def _remove(engine: Engine, *names: str) -> None:
    engine.run("rmi", "-f", *names, check=False)
    if engine.name == "podman":
        engine.run("image", "prune", "-f", check=False)


def bench_engine(
    engine: Engine, work: Path, layer: Path, archive: Path, remote: str, repeat: int
) -> dict[str, tuple[float, int]]:
    pid = _daemon_pid(engine, work)
    tls = ["--tls-verify=false"] if engine.name == "podman" else []
    runs = {
        IMPORT: engine.cmd("import", str(layer), "bench/large:latest"),
        LOAD: engine.cmd("load", "-i", str(archive)),
        PULL: engine.cmd("pull", *tls, remote),
    }
    results = {}
    try:
        for name, argv in runs.items():
            results[name] = _medians(
                lambda argv=argv: _measured(argv, engine.env, pid),
                lambda: _remove(engine, "bench/large:latest", remote),
                repeat,
            )
    finally:
        _remove(engine, "bench/large:latest", remote)
    return results


def _tar(plain: Path, packed: Path, work: Path, repeat: int) -> dict[str, tuple[float, int]]:
    out = work / "tar-out"

    def fresh() -> None:
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir()

    gz = _medians(
        lambda: _measured(["tar", "-xzf", str(packed), "-C", str(out)], {}, None), fresh, repeat
    )
    raw = _medians(
        lambda: _measured(["tar", "-xf", str(plain), "-C", str(out)], {}, None), fresh, repeat
    )
    shutil.rmtree(out, ignore_errors=True)
    return {IMPORT: gz, LOAD: raw, PULL: gz}


def large_rows(engines: list[Engine], work: Path, repeat: int) -> list[Row]:
    plain, packed = make_layer(work)
    portside = engines[0]
    portside.run("import", str(plain), "bench/large:latest")
    archive = work / "large-save.tar"
    portside.run("save", "-o", str(archive), "bench/large:latest")
    with ExitStack() as stack:
        folder = work / "large-registry"
        folder.mkdir(exist_ok=True)
        address = stack.enter_context(serve(folder))
        remote = f"{address}/bench/large:latest"
        portside.run("tag", "bench/large:latest", remote)
        portside.run("push", remote)
        _remove(portside, "bench/large:latest", remote)
        per_engine = {
            e.name: bench_engine(e, work, packed, archive, remote, repeat) for e in engines
        }
    per_engine[TAR] = _tar(plain, packed, work, repeat)
    for path in (plain, packed, archive):
        path.unlink()
    rows = []
    for bench in (IMPORT, LOAD, PULL):
        rows.append(Row(bench, {n: r[bench][0] for n, r in per_engine.items()}))
        rows.append(
            Row(f"{bench}: peak RSS", {n: r[bench][1] / MiB for n, r in per_engine.items()}, "MiB")
        )
    return rows


LARGE_NOTE = f"""One layer holding a single {SIZE_MIB} MiB file (64 KiB of random bytes
and 64 KiB of zeros in turn: it gzips 2:1), the same bytes for every engine. `import`
reads the layer gzipped; `load` reads a docker-archive (`portside save`, uncompressed) of
the image; `pull` fetches it from Debian's docker-registry on 127.0.0.1 (pushed once by
portside, gzipped). Each try starts from a store without the image. The tar column
extracts the same layer with GNU tar into an empty folder: `tar -xzf` of the gzip
(import, pull), `tar -xf` of the tar (load). Peak RSS is the high-water mark of the
process doing the work: the command for portside, Podman and tar; Docker's daemon for
Docker (its client only streams bytes). portside writes each layer twice (the tar as a
blob, then extracted; docs/store.md) and hashes it, where tar writes it once."""
