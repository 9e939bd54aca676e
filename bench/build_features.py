"""Builds that lean on BuildKit's features (issue 23), on busybox: two independent
stages built cold (each RUN sleeps a second, as a download would wait: built at once,
the build takes one second of them, not two), and a `RUN --mount=type=cache` install
rebuilt after its dependency list grew by one (the cache mount holds what was fetched
before, so only the new one is "downloaded"). portside beside BuildKit (Docker's
`DOCKER_BUILDKIT=1` builder) and Podman's buildah when they are installed; Docker's
classic builder cannot run these Dockerfiles.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from containers import busybox_rootfs, import_busybox
from engines import Engine
from timing import Row, command, median_seconds

STAGES = """\
FROM busybox AS left
RUN sleep 1 && echo left > /left
FROM busybox AS right
RUN sleep 1 && echo right > /right
FROM busybox
COPY --from=left /left /left
COPY --from=right /right /right
"""

# a package manager in miniature: each dependency is fetched (a wait and 512 KiB)
# unless the cache mount has it, then installed into the image
CACHE_MOUNT = """\
FROM busybox
COPY deps.txt /deps.txt
RUN --mount=type=cache,target=/cache \\
    mkdir -p /opt/deps && for d in $(cat /deps.txt); do \\
      [ -e /cache/$d ] || { sleep 0.1; head -c 524288 /dev/urandom > /cache/$d; }; \\
      cp /cache/$d /opt/deps/$d; \\
    done
"""
DEPS = 20

ROWS = ("two independent stages, cold", "cache-mount install after one dependency added")


def builders(engines: list[Engine]) -> list[Engine]:
    """portside, BuildKit and buildah: the builders that read these Dockerfiles."""
    out = []
    for e in engines:
        if e.name == "docker":
            out.append(Engine("docker (BuildKit)", e.argv, {**e.env, "DOCKER_BUILDKIT": "1"}))
        else:
            out.append(e)
    return out


def bench_engine(engine: Engine, work: Path, repeat: int) -> dict[str, float]:
    results: dict[str, float] = {}
    stages = work / "stages"
    stages.mkdir()
    (stages / "Dockerfile").write_text(STAGES)
    cold = engine.cmd("build", "-q", "--no-cache", "-t", "bench/stages", str(stages))
    results[ROWS[0]] = median_seconds(command(cold, engine.env), repeat=repeat)

    app = work / "deps"
    app.mkdir()
    (app / "Dockerfile").write_text(CACHE_MOUNT)
    deps = [f"dep{i}" for i in range(DEPS)]
    (app / "deps.txt").write_text("\n".join(deps) + "\n")
    build = engine.cmd("build", "-q", "-t", "bench/deps", str(app))
    engine.run("build", "-q", "-t", "bench/deps", str(app))  # the cache mount filled
    counter = iter(range(10_000))

    def add_one() -> None:
        deps.append(f"new{next(counter)}")
        (app / "deps.txt").write_text("\n".join(deps) + "\n")

    results[ROWS[1]] = median_seconds(command(build, engine.env), prepare=add_one, repeat=repeat)
    engine.run("rmi", "-f", "bench/stages", "bench/deps", check=False)
    shutil.rmtree(stages, ignore_errors=True)
    shutil.rmtree(app, ignore_errors=True)
    return results


def feature_rows(engines: list[Engine], work: Path, repeat: int) -> list[Row]:
    rootfs = busybox_rootfs(work)
    for engine in engines:
        import_busybox(engine, rootfs)
    per_engine = {}
    for engine in builders(engines):
        folder = work / ("features-" + "".join(c for c in engine.name if c.isalnum()))
        folder.mkdir(exist_ok=True)
        per_engine[engine.name] = bench_engine(engine, folder, repeat)
        shutil.rmtree(folder, ignore_errors=True)
    return [Row(n, {e: r[n] for e, r in per_engine.items()}) for n in ROWS]


def names(engines: list[Engine]) -> list[str]:
    return [e.name for e in builders(engines)]


FEATURES_NOTE = """Two Dockerfiles on busybox that only BuildKit-era builders read. "two
independent stages" is `--no-cache`: each of two stages RUNs `sleep 1`, and a final
stage copies from both; stages built at once take about one second of sleeping, one
after the other two. "cache-mount install" is a package manager in miniature: 20
dependencies, each fetched (`sleep 0.1`, 512 KiB) unless `RUN --mount=type=cache` holds
it, then copied into the image; before each timed build one dependency is added to
deps.txt, so COPY and the RUN run again and only the new one is fetched."""
