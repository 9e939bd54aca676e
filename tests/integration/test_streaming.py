"""Archives go through in constant memory and bounded time, whatever the size of a file
or a layer, and a layer that does not fit on the disk leaves the store as it was.

Each command runs as a child of a small wrapper that reports the child's peak resident
memory (``ru_maxrss`` of the one process it waited for), so no other test's processes
count. Sizes are chosen so each test stays a few seconds: a file of zeros compresses a
thousandfold, which is also what a gzip bomb is.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import pytest
from isal import isal_zlib

from ..conftest import OFFLINE, Portside, store_state

MiB = 1 << 20
PEAK_RSS = 100 * MiB

# runs the command, kills it after argv[1] seconds, and prints its peak RSS last
_WRAPPER = (
    "import resource, subprocess, sys\n"
    "try:\n"
    "    rc = subprocess.call(sys.argv[2:], timeout=float(sys.argv[1]))\n"
    "except subprocess.TimeoutExpired:\n"
    "    print(f'timed out after {sys.argv[1]} s', file=sys.stderr)\n"
    "    rc = 124\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024, file=sys.stderr)\n"
    "sys.exit(rc)\n"
)


def measured(
    ps: Portside, *args: str, stdin: BinaryIO | None = None, timeout: float = 60
) -> tuple[int, str, int]:
    """(exit code, stderr, peak RSS in bytes) of one portside command, killed (exit
    124) if it runs longer than ``timeout`` seconds."""
    env = {**os.environ, **OFFLINE}
    env.pop("PORTSIDE_ROOT", None)
    proc = subprocess.run(
        [sys.executable, "-c", _WRAPPER, str(timeout), *ps.argv(*args)],
        stdin=stdin if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
        timeout=timeout + 30,
    )
    *lines, peak = proc.stderr.decode(errors="replace").rstrip("\n").split("\n")
    return proc.returncode, "\n".join(lines), int(peak)


def write_zeros_tar(out: BinaryIO, size: int, name: str = "zeros", gzip: bool = True) -> str:
    """A tar of one file of ``size`` zero bytes, written to ``out`` (gzipped by ISA-L at
    level 1: a thousandfold, a second a GiB); the tar's digest, its diff ID as a layer."""
    digest = hashlib.sha256()
    packer = isal_zlib.compressobj(1, isal_zlib.DEFLATED, 31) if gzip else None

    def put(data: bytes) -> None:
        digest.update(data)
        out.write(packer.compress(data) if packer is not None else data)

    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = 0o644
    put(info.tobuf(format=tarfile.PAX_FORMAT))
    block = bytes(MiB)
    left = size
    while left:
        put(block[: min(left, MiB)])
        left -= min(left, MiB)
    put(bytes(-size % tarfile.BLOCKSIZE + 2 * tarfile.BLOCKSIZE))
    if packer is not None:
        out.write(packer.flush())
    return "sha256:" + digest.hexdigest()


@pytest.fixture(scope="module")
def large_gzip_tar(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A 1 MB gzip holding a tar of one 300 MiB file of zeros, and the tar's digest."""
    path = tmp_path_factory.mktemp("large") / "rootfs.tar.gz"
    with open(path, "wb") as out:
        diff_id = write_zeros_tar(out, 300 * MiB)
    return path, diff_id


def test_import_of_a_large_file_runs_in_constant_memory(
    portside: Portside, large_gzip_tar: tuple[Path, str]
) -> None:
    code, err, peak = measured(portside, "import", str(large_gzip_tar[0]), "large:1")
    assert code == 0, err
    assert peak < PEAK_RSS, f"import peaked at {peak // MiB} MiB"
    info = json.loads(portside("image", "inspect", "large:1").stdout)[0]
    assert info["Size"] >= 300 * MiB


def _docker_archive(path: Path, layer: Path, diff_id: str) -> None:
    """A docker-archive of one image whose one layer is the file ``layer``."""
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "config": {},
            "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        }
    ).encode()
    config_name = hashlib.sha256(config).hexdigest() + ".json"
    manifest = json.dumps(
        [{"Config": config_name, "RepoTags": ["loaded:1"], "Layers": ["layer.tar.gz"]}]
    ).encode()
    with tarfile.open(path, "w") as tf:
        for name, data in ((config_name, config), ("manifest.json", manifest)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        tf.add(layer, "layer.tar.gz")


def test_load_of_a_gzip_bomb_finishes_in_bounded_time_and_memory(
    portside: Portside, tmp_path: Path
) -> None:
    layer = tmp_path / "layer.tar.gz"
    with open(layer, "wb") as out:
        diff_id = write_zeros_tar(out, 1024 * MiB)
    assert layer.stat().st_size < 2 * MiB  # a thousandfold expansion
    archive = tmp_path / "bomb.tar"
    _docker_archive(archive, layer, diff_id)
    layer.unlink()
    code, err, peak = measured(portside, "load", "-i", str(archive), timeout=60)
    assert code == 0, err
    assert peak < PEAK_RSS, f"load peaked at {peak // MiB} MiB"
    assert portside("images", "-q", "loaded:1").stdout.strip()


def test_build_from_a_large_context_on_stdin_runs_in_constant_memory(
    portside: Portside, tmp_path: Path
) -> None:
    context = tmp_path / "context.tar.gz"
    dockerfile = b"FROM scratch\nCOPY zeros /zeros\n"
    with open(context, "wb") as out:
        packer = isal_zlib.compressobj(1, isal_zlib.DEFLATED, 31)
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(dockerfile)
        head = info.tobuf() + dockerfile + bytes(-len(dockerfile) % tarfile.BLOCKSIZE)
        out.write(packer.compress(head) + packer.flush())  # a gzip member of its own
        write_zeros_tar(out, 128 * MiB)  # the next member: gzip reads them as one stream
    with open(context, "rb") as stdin:
        code, err, peak = measured(portside, "build", "-q", "-t", "big:1", "-", stdin=stdin)
    assert code == 0, err
    assert peak < PEAK_RSS, f"build peaked at {peak // MiB} MiB"
    info = json.loads(portside("image", "inspect", "big:1").stdout)[0]
    assert info["Size"] >= 128 * MiB


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 48 MiB tmpfs to hold a store, unmounted afterwards whatever happens."""
    mount = tmp_path / "small"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.mark.parametrize("verb", ["import", "load"])
def test_a_layer_too_large_for_the_disk_fails_cleanly(
    small_disk: Path, large_gzip_tar: tuple[Path, str], tmp_path: Path, verb: str
) -> None:
    ps = Portside(small_disk / "root", tmp_path / "run")
    ps("images")  # the store exists, empty
    before = store_state(ps.root)
    layer, diff_id = large_gzip_tar
    if verb == "import":
        r = ps("import", str(layer), "large:1", check=False)
    else:
        archive = tmp_path / "large.tar"
        _docker_archive(archive, layer, diff_id)
        r = ps("load", "-i", str(archive), check=False)
    assert r.returncode == 1
    assert r.stderr.startswith("Error: no space left on device"), r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert store_state(ps.root) == before
