"""save/load round trips, and interoperability with other tools' real archives.

skopeo and umoci (Debian packages, installed by .ci/run) produce archives for us to
load and read back what ``save`` wrote.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from ..conftest import Portside, extract_all


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed (.ci/run installs it with apt-get)")
    return path


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, check=True, capture_output=True, text=True, timeout=120)


def test_save_load_round_trip_keeps_id_tags_and_files(
    portside: Portside, busybox: str, tmp_path: Path
) -> None:
    portside("tag", "busybox", "busybox:other")
    archive = tmp_path / "bb.tar"
    portside("save", "-o", str(archive), "busybox")  # no tag: every tag of the repository
    with tarfile.open(archive) as tf:
        names = set(tf.getnames())
        manifest = json.loads(tf.extractfile("manifest.json").read())  # type: ignore[union-attr]
        index = json.loads(tf.extractfile("index.json").read())  # type: ignore[union-attr]
    assert {"manifest.json", "index.json", "oci-layout"} <= names
    assert sorted(manifest[0]["RepoTags"]) == ["busybox:latest", "busybox:other"]
    assert manifest[0]["Config"] == "blobs/sha256/" + busybox[7:]
    refs = sorted(m["annotations"]["io.containerd.image.name"] for m in index["manifests"])
    assert refs == ["docker.io/library/busybox:latest", "docker.io/library/busybox:other"]

    portside("rmi", "busybox", "busybox:other")
    assert portside("images", "-q").stdout == ""
    out = portside("load", "-i", str(archive)).stdout
    assert "Loaded image: busybox:latest" in out and "Loaded image: busybox:other" in out
    assert json.loads(portside("image", "inspect", "busybox").stdout)[0]["Id"] == busybox
    layer = next((portside.root / "layers").iterdir()) / "diff"
    assert (layer / "bin/busybox").stat().st_size == Path("/bin/busybox").stat().st_size
    assert (layer / "bin/sh").is_symlink()


def test_save_to_stdout_and_load_from_stdin_by_id(portside: Portside, busybox: str) -> None:
    data = portside("save", busybox[7:19]).stdout_bytes
    portside("rmi", "busybox")
    out = portside("load", input=data).stdout
    assert out == f"Loaded image ID: {busybox}\n"  # saved by ID: no name in the archive


def test_skopeo_reads_what_save_writes(portside: Portside, busybox: str, tmp_path: Path) -> None:
    archive = tmp_path / "bb.tar"
    portside("save", "-o", str(archive), "busybox")
    info = json.loads(run(tool("skopeo"), "inspect", f"docker-archive:{archive}").stdout)
    assert info["Os"] == "linux" and len(info["Layers"]) == 1
    config = json.loads(
        run(tool("skopeo"), "inspect", "--config", f"docker-archive:{archive}").stdout
    )
    assert config["config"]["Cmd"] == ["sh"]
    # and the OCI layout inside the same tar
    layout = tmp_path / "layout"
    layout.mkdir()
    extract_all(archive, layout)
    oci = json.loads(run(tool("skopeo"), "inspect", f"oci:{layout}:latest").stdout)
    assert oci["Layers"] == info["Layers"]


def test_umoci_unpacks_what_save_writes(portside: Portside, busybox: str, tmp_path: Path) -> None:
    archive = tmp_path / "bb.tar"
    portside("save", "-o", str(archive), "busybox")
    layout = tmp_path / "layout"
    layout.mkdir()
    extract_all(archive, layout)
    assert run(tool("umoci"), "ls", "--layout", str(layout)).stdout.split() == ["latest"]
    bundle = tmp_path / "bundle"
    run(tool("umoci"), "unpack", "--image", f"{layout}:latest", str(bundle))
    assert (bundle / "rootfs/bin/busybox").read_bytes() == Path("/bin/busybox").read_bytes()
    runtime = json.loads((bundle / "config.json").read_text())
    assert runtime["process"]["args"] == ["sh"]


@pytest.mark.parametrize("transport", ["docker-archive", "oci-archive"])
def test_load_archives_written_by_skopeo(
    portside: Portside, busybox: str, tmp_path: Path, transport: str
) -> None:
    ours = tmp_path / "ours.tar"
    portside("save", "-o", str(ours), "busybox")
    theirs = tmp_path / "theirs.tar"
    run(
        tool("skopeo"), "copy", "-q", f"docker-archive:{ours}", f"{transport}:{theirs}:skopeo/bb:v1"
    )
    portside("rmi", "busybox")  # the layer goes too: load must extract it again
    out = portside("load", "-i", str(theirs)).stdout
    assert out == "Loaded image: skopeo/bb:v1\n"
    info = json.loads(portside("image", "inspect", "skopeo/bb:v1").stdout)[0]
    assert info["Config"]["Cmd"] == ["sh"]
    layer = next((portside.root / "layers").iterdir()) / "diff"
    assert (layer / "bin/busybox").exists()


def test_load_an_image_built_by_umoci(portside: Portside, tmp_path: Path) -> None:
    """umoci makes an OCI image from scratch (gzip layers); we load its layout as a tar."""
    layout = tmp_path / "layout"
    umoci = tool("umoci")
    run(umoci, "init", "--layout", str(layout))
    run(umoci, "new", "--image", f"{layout}:v1")
    bundle = tmp_path / "bundle"
    run(umoci, "unpack", "--image", f"{layout}:v1", str(bundle))
    (bundle / "rootfs/hello.txt").write_text("from umoci\n")
    (bundle / "rootfs/bin").mkdir()
    shutil.copy2("/bin/busybox", bundle / "rootfs/bin/busybox")
    run(umoci, "repack", "--image", f"{layout}:v1", str(bundle))
    run(
        umoci,
        "config",
        "--image",
        f"{layout}:v1",
        "--config.cmd",
        "/bin/busybox",
        "--config.env",
        "X=1",
    )
    run(umoci, "gc", "--layout", str(layout))
    archive = tmp_path / "umoci.tar"
    with tarfile.open(archive, "w") as tf:
        tf.add(layout, arcname=".")
    out = portside("load", "-i", str(archive)).stdout
    # umoci names the tag only ("v1"), which is no repository: Docker loads it by ID
    assert out.startswith("Loaded image ID: sha256:")
    image_id = out.split()[-1]
    info = json.loads(portside("image", "inspect", image_id).stdout)[0]
    assert info["Config"]["Cmd"] == ["/bin/busybox"]
    assert "X=1" in info["Config"]["Env"]
    lowers = info["GraphDriver"]["Data"]["LowerDirs"]
    assert any(Path(d, "hello.txt").exists() for d in lowers)


def test_load_gzip_compressed_archive(portside: Portside, busybox: str, tmp_path: Path) -> None:
    import gzip

    data = portside("save", "busybox").stdout_bytes
    portside("rmi", "busybox")
    out = portside("load", input=gzip.compress(data, 1)).stdout
    assert out == "Loaded image: busybox:latest\n"


def test_load_moves_a_tag_as_docker_does(
    portside: Portside, busybox: str, busybox_tar: Path, tmp_path: Path
) -> None:
    archive = tmp_path / "bb.tar"
    portside("save", "-o", str(archive), "busybox")
    other = portside("import", str(busybox_tar), "busybox:latest").stdout.strip()
    out = portside("load", "-i", str(archive)).stdout
    assert (
        f"The image busybox:latest already exists, renaming the old one with ID {other} "
        "to empty string" in out
    )
    assert json.loads(portside("image", "inspect", "busybox").stdout)[0]["Id"] == busybox
