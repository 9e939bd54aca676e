"""Bad input: one clear line, Docker's exit code, and the store exactly as before."""

from __future__ import annotations

import hashlib
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


def _tar(path: Path, entries: list[tuple[str, bytes]]) -> None:
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tf:
        for name, data in entries:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))


def _one_layer() -> tuple[bytes, bytes, str]:
    """(layer tar, config JSON, config digest hex) of a one-file image."""
    layer = io.BytesIO()
    with tarfile.open(fileobj=layer, mode="w") as tf:
        info = tarfile.TarInfo("hello")
        info.size = 2
        tf.addfile(info, io.BytesIO(b"hi"))
    diff_id = "sha256:" + hashlib.sha256(layer.getvalue()).hexdigest()
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        }
    ).encode()
    return layer.getvalue(), config, hashlib.sha256(config).hexdigest()


def _climbing_archive(path: Path, form: str) -> str:
    """An archive whose own entries leave it; the entry the error must name."""
    layer, config, config_hex = _one_layer()
    if form in ("docker-dotdot", "docker-absolute"):
        member = "../layer.tar" if form == "docker-dotdot" else "/layer.tar"
        listed = "../layer.tar" if form == "docker-dotdot" else "layer.tar"
        manifest = [{"Config": f"{config_hex}.json", "RepoTags": ["x:1"], "Layers": [listed]}]
        _tar(
            path,
            [
                (f"{config_hex}.json", config),
                (member, layer),
                ("manifest.json", json.dumps(manifest).encode()),
            ],
        )
        return member
    # an OCI layout whose blobs are named through "..": they still land on blobs/sha256
    layer_hex = hashlib.sha256(layer).hexdigest()
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": f"sha256:{config_hex}",
                "size": len(config),
            },
            "layers": [
                {
                    "mediaType": "application/vnd.oci.image.layer.v1.tar",
                    "digest": f"sha256:{layer_hex}",
                    "size": len(layer),
                }
            ],
        }
    ).encode()
    manifest_hex = hashlib.sha256(manifest).hexdigest()
    index = {
        "schemaVersion": 2,
        "manifests": [
            {
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": f"sha256:{manifest_hex}",
                "size": len(manifest),
                "annotations": {"io.containerd.image.name": "docker.io/library/x:1"},
            }
        ],
    }
    climbing = f"./../blobs/sha256/{layer_hex}"
    _tar(
        path,
        [
            ("oci-layout", b'{"imageLayoutVersion":"1.0.0"}'),
            ("index.json", json.dumps(index).encode()),
            (f"blobs/sha256/{manifest_hex}", manifest),
            (f"blobs/sha256/{config_hex}", config),
            (climbing, layer),
        ],
    )
    return climbing


@pytest.mark.parametrize("form", ["docker-dotdot", "docker-absolute", "oci-dotdot"])
def test_load_refuses_an_archive_whose_own_entries_leave_it(
    portside: Portside, tmp_path: Path, snapshot, form: str
) -> None:
    archive = tmp_path / "climbing.tar"
    offending = _climbing_archive(archive, form)
    portside("images")  # the store exists before
    before = snapshot()
    r = portside("load", "-i", str(archive), check=False)
    assert r.returncode == 1, r.stderr
    assert r.stderr.startswith("Error: invalid archive: refusing"), r.stderr
    assert repr(offending) in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert snapshot() == before
