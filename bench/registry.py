"""Registry benchmarks: push and pull of an image with a 50 MB random layer and a small one,
against the real CNCF registry on 127.0.0.1 (the one the tests run).

Every engine loads the same two-layer docker-archive, so all push the same layers. A
push is timed into a registry started afresh (nothing to skip, nothing to mount) from an
image just loaded (no compressed form remembered from an earlier push: each engine has
to compress). A pull is timed into a store that lacks the image and its layers.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tarfile
from contextlib import ExitStack
from pathlib import Path

from engines import Engine
from timing import Row, command, median_seconds

from tests.integration.registries import serve

RANDOM_MB = 50
PUSH = f"push ({RANDOM_MB} MB random layer + busybox)"
PULL = f"pull ({RANDOM_MB} MB random layer + busybox)"


def _tar_of(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tf:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o755
            tf.addfile(info, io.BytesIO(data))
    return out.getvalue()


def make_archive(work: Path) -> Path:
    """A docker-archive (``docker save``'s format) of bench/reg:latest: busybox, then
    one layer holding a file of random bytes."""
    layers = [
        _tar_of({"bin/busybox": Path("/bin/busybox").read_bytes()}),
        _tar_of({"blob.bin": os.urandom(RANDOM_MB << 20)}),
    ]
    diff_ids = ["sha256:" + hashlib.sha256(layer).hexdigest() for layer in layers]
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "config": {"Cmd": ["/bin/busybox", "true"]},
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "history": [{"created_by": "bench"}, {"created_by": "bench"}],
        }
    ).encode()
    config_name = hashlib.sha256(config).hexdigest() + ".json"
    members = {config_name: config}
    for diff_id, layer in zip(diff_ids, layers, strict=True):
        members[f"{diff_id[7:]}/layer.tar"] = layer
    manifest = [
        {
            "Config": config_name,
            "RepoTags": ["bench/reg:latest"],
            "Layers": [f"{d[7:]}/layer.tar" for d in diff_ids],
        }
    ]
    members["manifest.json"] = json.dumps(manifest).encode()
    out = work / "registry-bench.tar"
    out.write_bytes(_tar_of(members))
    return out


def _insecure(engine: Engine) -> list[str]:
    # Docker and portside treat 127.0.0.0/8 as insecure by default; Podman wants asking
    return ["--tls-verify=false"] if engine.name == "podman" else []


class _Registries:
    """A fresh registry for each push (started untimed), the last one kept for pulls."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.count = 0
        self.stack = ExitStack()
        self.address = ""

    def fresh(self) -> str:
        self.stack.close()
        self.count += 1
        folder = self.work / f"registry-{self.count}"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        self.address = self.stack.enter_context(serve(folder))
        return self.address

    def close(self) -> None:
        self.stack.close()


def _remove(engine: Engine, name: str) -> None:
    engine.run("rmi", "-f", name, "bench/reg:latest", check=False)
    if engine.name == "podman":
        engine.run("image", "prune", "-f", check=False)


def bench_engine(engine: Engine, archive: Path, work: Path, repeat: int) -> dict[str, float]:
    registries = _Registries(work)
    results: dict[str, float] = {}
    name: list[str] = [""]

    def loaded_into_a_fresh_registry() -> None:
        _remove(engine, name[0])
        engine.run("load", "-i", str(archive))
        name[0] = f"{registries.fresh()}/bench/reg:latest"
        engine.run("tag", "bench/reg:latest", name[0])

    def push() -> object:
        return command(engine.cmd("push", *_insecure(engine), name[0]), engine.env)()

    def pull() -> object:
        return command(engine.cmd("pull", *_insecure(engine), name[0]), engine.env)()

    try:
        results[PUSH] = median_seconds(push, prepare=loaded_into_a_fresh_registry, repeat=repeat)
        results[PULL] = median_seconds(
            pull, prepare=lambda: _remove(engine, name[0]), repeat=repeat
        )
    finally:
        _remove(engine, name[0])
        registries.close()
    return results


def registry_rows(engines: list[Engine], work: Path, repeat: int) -> list[Row]:
    archive = make_archive(work)
    per_engine = {e.name: bench_engine(e, archive, work, repeat) for e in engines}
    return [Row(b, {n: r[b] for n, r in per_engine.items()}) for b in (PUSH, PULL)]


REGISTRY_NOTE = f"""The image is busybox and one layer of {RANDOM_MB} MiB of random bytes,
loaded from the same docker-archive into each engine. `push` goes to a registry started
afresh for each try (Debian's docker-registry on 127.0.0.1, plain HTTP), from an image just
loaded, so every engine compresses both layers and sends them whole; `pull` fetches it
back into a store that lacks the image and its layers. Layers move three at a time in
each engine (their defaults)."""
