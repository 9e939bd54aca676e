"""Bad input: one clear line, Docker's exit code, and the store exactly as before."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest

from ..conftest import Portside


def test_unknown_flag_and_verb(portside: Portside) -> None:
    r = portside("images", "--bogus", check=False)
    assert r.returncode == 125
    assert r.stderr.splitlines()[0] == "unknown flag: --bogus"
    r = portside("frobnicate", check=False)
    assert r.returncode == 1 and "'frobnicate' is not a portside command" in r.stderr
    r = portside("tag", "only-one", check=False)
    assert r.returncode == 1 and '"portside tag" requires exactly 2 arguments' in r.stderr


def test_unknown_image_and_bad_reference(portside: Portside, busybox: str) -> None:
    r = portside("image", "inspect", "nosuch", check=False)
    assert r.returncode == 1 and r.stderr.strip() == "Error: No such image: nosuch"
    assert r.stdout.strip() == "[]"
    r = portside("tag", "busybox", "Upper:case", check=False)
    assert r.returncode == 1
    assert "invalid reference format: repository name must be lowercase" in r.stderr
    r = portside("rmi", "nosuch", check=False)
    assert r.returncode == 1 and "No such image: nosuch" in r.stderr


@pytest.mark.parametrize("kind", ["garbage", "truncated", "hostile", "bad-change", "missing-file"])
def test_failed_import_leaves_store_unchanged(
    portside: Portside, busybox: str, busybox_tar: Path, tmp_path: Path, snapshot, kind: str
) -> None:
    before = snapshot()
    src = tmp_path / "in.tar"
    args = ["import", str(src), "broken:1"]
    if kind == "garbage":
        src.write_bytes(b"this is not a tar archive at all" * 100)
    elif kind == "truncated":
        src.write_bytes(busybox_tar.read_bytes()[: busybox_tar.stat().st_size // 2])
    elif kind == "hostile":
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tf:
            info = tarfile.TarInfo("../../escape")
            info.size = 1
            tf.addfile(info, io.BytesIO(b"x"))
        src.write_bytes(buf.getvalue())
    elif kind == "bad-change":
        src.write_bytes(busybox_tar.read_bytes())
        args = ["import", "-c", "RUN rm -rf /", str(src), "broken:1"]
    else:
        args = ["import", str(tmp_path / "absent.tar")]
    r = portside(*args, check=False)
    assert r.returncode != 0
    assert r.stderr.startswith("Error: ") and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert snapshot() == before
    assert not (tmp_path.parent / "escape").exists()


def _tampered_archive(portside: Portside, tmp_path: Path) -> Path:
    """A save of busybox whose layer bytes were changed (same size, wrong digest)."""
    good = tmp_path / "good.tar"
    portside("save", "-o", str(good), "busybox")
    bad = tmp_path / "bad.tar"
    with tarfile.open(good) as src, tarfile.open(bad, "w") as dst:
        manifest = json.loads(src.extractfile("manifest.json").read())  # type: ignore[union-attr]
        layer_name = manifest[0]["Layers"][0]
        for member in src.getmembers():
            data = src.extractfile(member).read() if member.isfile() else None  # type: ignore[union-attr]
            if member.name == layer_name:
                layer = tarfile.open(fileobj=io.BytesIO(data))
                out = io.BytesIO()
                with tarfile.open(fileobj=out, mode="w") as new_layer:
                    for m in layer.getmembers():
                        content = layer.extractfile(m).read() if m.isfile() else None  # type: ignore[union-attr]
                        if m.name.endswith("etc/passwd") and content is not None:
                            content = content.replace(b"root", b"evil")
                        new_layer.addfile(m, io.BytesIO(content) if content is not None else None)
                data = out.getvalue()
                member.size = len(data)
            dst.addfile(member, io.BytesIO(data) if data is not None else None)
    return bad


def test_load_refuses_digest_mismatch_and_leaves_store_unchanged(
    portside: Portside, busybox: str, tmp_path: Path, snapshot
) -> None:
    bad = _tampered_archive(portside, tmp_path)
    portside("rmi", "busybox")
    before = snapshot()
    r = portside("load", "-i", str(bad), check=False)
    assert r.returncode == 1
    assert "does not match" in r.stderr or "digest" in r.stderr
    assert snapshot() == before


@pytest.mark.parametrize("content", [b"", b"not a tar", b"\x1f\x8b\x08\x00garbage-gzip"])
def test_load_of_garbage_is_a_clear_error(portside: Portside, content: bytes, snapshot) -> None:
    portside("images")  # the store exists before
    before = snapshot()
    r = portside("load", input=content, check=False)
    assert r.returncode == 1
    assert r.stderr.startswith("Error: ") and len(r.stderr.splitlines()) == 1
    assert "invalid archive" in r.stderr or "gzip stream" in r.stderr, r.stderr
    assert snapshot() == before
