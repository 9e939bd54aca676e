"""build's ``--output`` (BuildKit's exporters: local, tar, oci/docker, image,
cacheonly), and the flags beside it: ``--add-host``, ``--no-cache-filter``, ``--iidfile``
and ``--label``."""

from __future__ import annotations

import json
import subprocess
import tarfile
from pathlib import Path

import pytest

from ..conftest import Portside, store_state, write_tree

pytestmark = pytest.mark.usefixtures("busybox")

DOCKERFILE = """\
FROM busybox AS build
RUN mkdir -p /out && echo built > /out/app && rm /bin/ls
FROM build AS final
LABEL stage=final
RUN cat /etc/hosts > /hosts
"""


@pytest.fixture
def ctx(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "ctx", {"Dockerfile": DOCKERFILE})


def image_ids(portside: Portside) -> list[str]:
    return portside("images", "-aq").stdout.split()


def test_local_and_tar_outputs_write_the_files_and_make_no_image(
    portside: Portside, ctx: Path, tmp_path: Path
) -> None:
    before = image_ids(portside)
    dest = tmp_path / "dest"
    out = portside("build", "-o", str(dest), str(ctx)).stdout
    assert out.endswith(f"Exported the result's files to {dest}\n")
    assert (dest / "out" / "app").read_text() == "built\n"
    assert (dest / "bin" / "busybox").is_file() and not (dest / "bin" / "ls").exists()
    assert image_ids(portside) == before  # no image, no tag

    again = tmp_path / "again"
    portside("build", "--output", f"type=local,dest={again}", str(ctx))
    assert (again / "out" / "app").read_text() == "built\n"

    # -o -: the files as a tar on stdout, the progress on stderr
    r = portside("build", "-o", "-", str(ctx))
    assert "Step 1/5 : FROM busybox AS build" in r.stderr
    archive = tmp_path / "files.tar"
    archive.write_bytes(r.stdout_bytes)
    with tarfile.open(archive) as tf:
        names = tf.getnames()
        member = tf.extractfile("out/app")
        assert member is not None and member.read() == b"built\n"
    assert "bin/busybox" in names and "bin/ls" not in names and "hosts" in names

    portside("build", "-o", f"type=tar,dest={tmp_path / 'f.tar'}", "--target", "build", str(ctx))
    with tarfile.open(tmp_path / "f.tar") as tf:
        assert "out/app" in tf.getnames() and "hosts" not in tf.getnames()
    assert image_ids(portside) == before


def test_oci_output_is_an_archive_load_and_skopeo_read(
    portside: Portside, ctx: Path, tmp_path: Path
) -> None:
    archive = tmp_path / "image.tar"
    iid = tmp_path / "iid"
    portside(
        "build",
        "-t",
        "me/app:1",
        "--iidfile",
        str(iid),
        "--label",
        "team=core",
        "-o",
        f"type=oci,dest={archive}",
        str(ctx),
    )
    image_id = iid.read_text()
    with tarfile.open(archive) as tf:
        index = json.loads(tf.extractfile("index.json").read())  # type: ignore[union-attr]
    assert index["manifests"][0]["annotations"]["io.containerd.image.name"] == (
        "docker.io/me/app:1"
    )
    assert "me/app" not in portside("images").stdout  # named in the archive only

    portside("rmi", image_id)
    loaded = portside("load", "-i", str(archive)).stdout
    assert "Loaded image: me/app:1" in loaded
    config = json.loads(portside("image", "inspect", "me/app:1").stdout)[0]
    assert config["Id"] == image_id
    assert config["Config"]["Labels"] == {"stage": "final", "team": "core"}
    skopeo = subprocess.run(
        ["skopeo", "inspect", "--config", f"oci-archive:{archive}"],
        capture_output=True,
        text=True,
    )
    if skopeo.returncode != 127:
        assert skopeo.returncode == 0, skopeo.stderr
        assert json.loads(skopeo.stdout)["config"]["Labels"]["team"] == "core"


def test_bad_outputs_are_refused_in_one_line(portside: Portside, ctx: Path, tmp_path: Path) -> None:
    before = store_state(portside.root)
    for value, words in [
        ("type=nfs,dest=x", 'unsupported output type "nfs"'),
        ("type=local", "dest is required for type=local"),
        ("type=local,dest=x,compression=zstd", "unexpected key 'compression' for type=local"),
        ("type=registry,name=me/x", "pushing from build is not supported"),
        ("type=image,push=true", "pushing from build is not supported"),
    ]:
        r = portside("build", "-o", value, str(ctx), check=False)
        assert r.returncode == 1, r.stdout
        assert r.stderr.startswith(f"Error: --output {value}: {words}"), r.stderr
        assert len(r.stderr.splitlines()) == 1 and r.stdout == ""
    r = portside("build", "-o", "a", "-o", "b", str(ctx), check=False)
    assert r.stderr == "Error: only one --output is supported by this builder\n"
    assert store_state(portside.root) == before
    assert not (tmp_path / "x").exists()


def test_cacheonly_fills_the_cache_and_image_output_tags(portside: Portside, ctx: Path) -> None:
    before = image_ids(portside)
    portside("build", "-o", "type=cacheonly", str(ctx))
    assert image_ids(portside) == before
    out = portside("build", "-o", "type=image,name=me/app:2", str(ctx)).stdout
    assert "Cache miss" not in out and "Successfully tagged me/app:2" in out


def test_add_host_and_no_cache_filter(portside: Portside, ctx: Path) -> None:
    portside(
        "build", "--add-host", "db:10.1.2.3", "--add-host", "gw:host-gateway", "-t", "h", str(ctx)
    )
    hosts = portside("run", "--rm", "h", "cat", "/hosts").stdout
    assert "10.1.2.3\tdb\n" in hosts
    gateway = next(line.split("\t")[0] for line in hosts.splitlines() if line.endswith("\tgw"))
    assert gateway.count(".") == 3 and not gateway.startswith("127.")

    out = portside(
        "build",
        "--add-host",
        "db:10.1.2.3",
        "--add-host",
        "gw:host-gateway",
        "--no-cache-filter",
        "final",
        str(ctx),
    ).stdout
    build_stage, final_stage = out.split("FROM build AS final")
    assert "Cache miss" not in build_stage
    assert "Cache miss: --no-cache-filter final" in final_stage

    # a changed host list is another RUN, as BuildKit keys it
    out = portside("build", "--add-host", "db:10.1.2.4", "-t", "h2", str(ctx)).stdout
    assert "Cache miss" in out.split("FROM build AS final")[1]
    assert "10.1.2.4\tdb\n" in portside("run", "--rm", "h2", "cat", "/hosts").stdout

    for flags, message in [
        (["--no-cache-filter", "nope"], "--no-cache-filter nope: no stage of that name"),
        (["--add-host", "db"], 'bad format for add-host: "db"'),
        (["--add-host", "db:1.2.3"], 'invalid IP address in add-host: "1.2.3"'),
    ]:
        r = portside("build", *flags, str(ctx), check=False)
        assert r.returncode == 1 and r.stderr == f"Error: {message}\n", r.stderr
