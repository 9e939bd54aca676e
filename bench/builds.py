"""Build benchmarks on a notes-style app (~200 small files and one 20 MB file): a cold
build (no cache), a fully cached rebuild, and a rebuild after one source file changed;
portside beside Docker's classic builder, BuildKit and Podman when they are installed.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from containers import busybox_rootfs, import_busybox
from engines import Engine
from timing import Row, command, median_seconds

SMALL_FILES = 200
BIG_MB = 20
DOCKERFILE = """\
FROM busybox
WORKDIR /app
COPY package.json .
RUN echo installing > /app/installed
COPY . /app
RUN ls /app/src | wc -l > /app/count
CMD ["cat", "/app/count"]
"""


def make_app(work: Path) -> Path:
    app = work / "app"
    (app / "src").mkdir(parents=True)
    (app / "package.json").write_text('{"name": "bench", "version": "1.0.0"}\n')
    for i in range(SMALL_FILES):
        (app / "src" / f"m{i:03}.js").write_text(f"module.exports = {i};\n" * 20)
    with open(app / "assets.bin", "wb") as f:
        f.write(os.urandom(BIG_MB << 20))
    (app / "Dockerfile").write_text(DOCKERFILE)
    return app


def variants(engines: list[Engine]) -> list[Engine]:
    """Docker twice, as its classic builder and as BuildKit."""
    out = []
    for e in engines:
        if e.name == "docker":
            out.append(Engine("docker (classic)", e.argv, {**e.env, "DOCKER_BUILDKIT": "0"}))
            out.append(Engine("docker (BuildKit)", e.argv, {**e.env, "DOCKER_BUILDKIT": "1"}))
        else:
            out.append(e)
    return out


def bench_engine(engine: Engine, app: Path, repeat: int) -> dict[str, float]:
    build = engine.cmd("build", "-q", "-t", "bench/app", str(app))
    results: dict[str, float] = {}
    results["cold build"] = median_seconds(
        command(engine.cmd("build", "-q", "--no-cache", "-t", "bench/app", str(app)), engine.env),
        repeat=repeat,
    )
    engine.run("build", "-q", "-t", "bench/app", str(app))
    results["fully cached rebuild"] = median_seconds(command(build, engine.env), repeat=repeat)
    counter = iter(range(10_000))

    def touch_one() -> None:
        (app / "src" / "m000.js").write_text(f"module.exports = {next(counter)};\n")

    results["one source file changed"] = median_seconds(
        command(build, engine.env), prepare=touch_one, repeat=repeat
    )
    engine.run("rmi", "-f", "bench/app", check=False)
    return results


def build_rows(engines: list[Engine], work: Path, repeat: int) -> list[Row]:
    rootfs = busybox_rootfs(work)
    builders = variants(engines)
    for engine in engines:
        import_busybox(engine, rootfs)
    per_engine = {}
    for engine in builders:
        app = make_app(work / engine.name.replace(" ", "-").strip("()"))
        per_engine[engine.name] = bench_engine(engine, app, repeat)
        shutil.rmtree(app, ignore_errors=True)
    names = ["cold build", "fully cached rebuild", "one source file changed"]
    return [Row(n, {e: r[n] for e, r in per_engine.items()}) for n in names]


def names(engines: list[Engine]) -> list[str]:
    return [e.name for e in variants(engines)]


BUILDS_NOTE = f"""The app is the notes' example with busybox commands: package.json, \
{SMALL_FILES} small sources and one {BIG_MB} MiB file; `COPY package.json`, a RUN standing \
for the install, `COPY . /app`, a RUN standing for the build. "cold" is `--no-cache`;
"one source file changed" rewrites one small file before each build, so the install step
stays cached and the last COPY and RUN run again."""
