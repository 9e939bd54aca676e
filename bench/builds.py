"""Build benchmarks on the notes' own example, examples/notes-app (`FROM node:18`,
`COPY package.json`, `RUN npm install`, `COPY . /app`): a cold build (no cache), a fully
cached rebuild, and a rebuild after server.js changed; portside beside Docker's classic
builder, BuildKit and Podman when they are installed. Every engine gets the same node:18,
imported from the rootfs scripts/base-images makes from Debian's packages.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from engines import REPO, Engine
from timing import Row, command, median_seconds

NODE_ROOTFS = Path("/var/cache/portside/node-18-bookworm.tar")


def node_rootfs(work: Path) -> Path:
    """The node:18 rootfs tar: scripts/base-images keeps it in /var/cache/portside."""
    if not NODE_ROOTFS.exists():
        store = ["--root", str(work / "seed"), "--runroot", str(work / "seed-run")]
        env = {**os.environ, "BASE_IMAGES": "node"}
        subprocess.run(["bash", str(REPO / "scripts/base-images"), *store], check=True, env=env)
        shutil.rmtree(work / "seed", ignore_errors=True)
    return NODE_ROOTFS


def import_node(engine: Engine, rootfs: Path) -> None:
    changes = ["--change", 'CMD ["node"]', "--change", "ENV NODE_ENV=production"]
    engine.run("import", *changes, str(rootfs), "node:18")


def make_app(work: Path) -> Path:
    app = work / "notes-app"
    shutil.copytree(REPO / "examples/notes-app", app)
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

    server = app / "server.js"
    source = server.read_text()

    def touch_one() -> None:
        server.write_text(source.replace("notes app!", f"notes app, edit {next(counter)}!"))

    results["one source file changed"] = median_seconds(
        command(build, engine.env), prepare=touch_one, repeat=repeat
    )
    engine.run("rmi", "-f", "bench/app", check=False)
    return results


def build_rows(engines: list[Engine], work: Path, repeat: int) -> list[Row]:
    rootfs = node_rootfs(work)
    builders = variants(engines)
    for engine in engines:
        import_node(engine, rootfs)
    per_engine = {}
    for engine in builders:
        app = make_app(work / engine.name.replace(" ", "-").strip("()"))
        per_engine[engine.name] = bench_engine(engine, app, repeat)
        shutil.rmtree(app, ignore_errors=True)
    names = ["cold build", "fully cached rebuild", "one source file changed"]
    return [Row(n, {e: r[n] for e, r in per_engine.items()}) for n in names]


def names(engines: list[Engine]) -> list[str]:
    return [e.name for e in variants(engines)]


BUILDS_NOTE = """The app is examples/notes-app, the notes' own example: a Node server
and the notes' Dockerfile (`FROM node:18`, `COPY package.json /app`, `RUN npm install`,
`COPY . /app`), on a node:18 made from Debian bookworm's nodejs and npm. "cold" is
`--no-cache`; "one source file changed" edits server.js before each build, so the
npm install step stays cached and `COPY . /app` runs again."""
