"""Image benchmarks: CLI startup, import of a 50 MB rootfs, save and load of that image.

Run through ``bench/run``; writes the table to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tarfile
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from engines import REPO, Dockerd, Engine, docker, podman, portside  # noqa: E402
from timing import Row, command, median_seconds, table  # noqa: E402

from tests.engines import podman_cleanup, short_dir  # noqa: E402

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


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument(
        "--no-write", action="store_true", help="print only, keep docs/benchmarks.md"
    )
    args = parser.parse_args()
    work = short_dir()
    dockerd = Dockerd(work)
    rows: list[Row] = []
    try:
        engines = [portside(work)]
        for candidate in (docker(dockerd), podman(work)):
            if candidate is not None:
                engines.append(candidate)
        names = [e.name for e in engines]
        print("engines:", ", ".join(names), file=sys.stderr)

        startup = Row("CLI start (`--version`)", {})
        for e in engines:
            startup.results[e.name] = median_seconds(
                command(e.cmd("--version"), e.env), repeat=15, warmup=2
            )
        startup.results["(python3 -c pass)"] = median_seconds(
            command([sys.executable, "-c", "pass"]), repeat=15
        )
        rows.append(startup)

        rootfs = make_rootfs_tar(work)
        per_engine = {e.name: bench_engine(e, rootfs, work, args.repeat) for e in engines}
        for bench in ("import 50 MB rootfs", "save 50 MB image", "load 50 MB image"):
            rows.append(Row(bench, {name: r[bench] for name, r in per_engine.items()}))
    finally:
        dockerd.stop()
        podman_cleanup(work)
        shutil.rmtree(work, ignore_errors=True)

    result = table(rows, names + ["(python3 -c pass)"])
    print(result)
    if not args.no_write:
        write_report(result, names)
    return 0


def machine() -> str:
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{platform.node()}: {os.cpu_count()} vCPU, {mem:.0f} GiB, Linux {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def versions(names: list[str]) -> str:
    out = []
    for name, argv in (("docker", ["docker", "--version"]), ("podman", ["podman", "--version"])):
        if name in names:
            out.append(subprocess.run(argv, capture_output=True, text=True).stdout.strip())
    return "; ".join(out) or "no other engine installed"


def write_report(result: str, names: list[str]) -> None:
    path = REPO / "docs/benchmarks.md"
    text = f"""# Benchmarks

Measured by `bench/run` (medians; each engine with its own throwaway store in one run, so
compare within a table, as ratios: figures move ±30 % between runs on these VMs).

- Date: {datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")}
- Machine: {machine()}
- Other engines: {versions(names)}
- Reproduce: `bench/run` (as root; it starts a private dockerd when Docker is installed)

## Images

{result}

The 50 MB rootfs is busybox, {SMALL_FILES} small files and one {RANDOM_MB} MiB file of random bytes.
`import` reads it uncompressed; `save` writes an uncompressed archive; `load` reads it back
into an empty store for that image (its layer was removed first).

{NOTES}
"""
    path.write_text(text)
    print(f"wrote {path}", file=sys.stderr)


NOTES_PATH = Path(__file__).with_name("notes.md")
NOTES = NOTES_PATH.read_text() if NOTES_PATH.exists() else ""

if __name__ == "__main__":
    raise SystemExit(main())
