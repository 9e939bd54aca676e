"""Image benchmarks: CLI startup, import of a 50 MB rootfs, save and load of that image."""

from __future__ import annotations

import os
import shutil
import sys
import tarfile
from pathlib import Path

from engines import Engine
from timing import Row, command, median_seconds

RANDOM_MB = 48
SMALL_FILES = 300


def make_rootfs_tar(work: Path) -> Path:
    """~50 MB rootfs: busybox, 300 small files and one 48 MB incompressible file."""
    root = work / "rootfs"
    (root / "bin").mkdir(parents=True)
    shutil.copy2("/bin/busybox", root / "bin/busybox")
    (root / "bin/sh").symlink_to("busybox")
    app = root / "app"
    app.mkdir()
    for i in range(SMALL_FILES):
        (app / f"f{i:03}.js").write_text(f"module.exports = {i};\n" * 20)
    with open(app / "blob.bin", "wb") as f:
        f.write(os.urandom(RANDOM_MB << 20))
    out = work / "rootfs.tar"
    with tarfile.open(out, "w") as tf:
        tf.add(root, arcname=".")
    return out


def bench_engine(engine: Engine, rootfs: Path, work: Path, repeat: int) -> dict[str, float]:
    results: dict[str, float] = {}
    archive = work / f"{engine.name}-save.tar"
    results["import 50 MB rootfs"] = median_seconds(
        command(engine.cmd("import", str(rootfs), "bench/import:latest"), engine.env),
        prepare=lambda: engine.run("rmi", "-f", "bench/import:latest", check=False),
        repeat=repeat,
    )
    engine.run("rmi", "-f", "bench/import:latest", check=False)
    engine.run("import", str(rootfs), "bench/img:latest")
    results["save 50 MB image"] = median_seconds(
        command(engine.cmd("save", "-o", str(archive), "bench/img:latest"), engine.env),
        prepare=lambda: archive.unlink(missing_ok=True),
        repeat=repeat,
    )
    results["load 50 MB image"] = median_seconds(
        command(engine.cmd("load", "-i", str(archive)), engine.env),
        prepare=lambda: engine.run("rmi", "-f", "bench/img:latest", check=False),
        repeat=repeat,
    )
    return results


def image_rows(engines: list[Engine], work: Path, repeat: int) -> list[Row]:
    startup = Row("CLI start (`--version`)", {})
    for e in engines:
        startup.results[e.name] = median_seconds(
            command(e.cmd("--version"), e.env), repeat=15, warmup=2
        )
    startup.results["(python3 -c pass)"] = median_seconds(
        command([sys.executable, "-c", "pass"]), repeat=15
    )
    rootfs = make_rootfs_tar(work)
    per_engine = {e.name: bench_engine(e, rootfs, work, repeat) for e in engines}
    rows = [startup]
    for bench in ("import 50 MB rootfs", "save 50 MB image", "load 50 MB image"):
        rows.append(Row(bench, {name: r[bench] for name, r in per_engine.items()}))
    return rows


IMAGES_NOTE = f"""The 50 MB rootfs is busybox, {SMALL_FILES} small files and one {RANDOM_MB} MiB \
file of random bytes. `import` reads it uncompressed; `save` writes an uncompressed
archive; `load` reads it back into an empty store for that image (its layer was removed
first)."""
