"""Reproducible builds: with SOURCE_DATE_EPOCH (in the environment, or as a build arg)
the same context built in two stores, at two times, gives the same image ID: times in
the layers clamped to the epoch, the history and ``created`` at the epoch."""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..conftest import Portside, remove_everything

EPOCH = 1700000000
DOCKERFILE = """\
FROM busybox
WORKDIR /app
COPY app.txt .
RUN mkdir -p /data && echo built > /data/out && touch /etc/hostname-copy && rm /bin/ls
ENV MODE=release
RUN --mount=type=cache,target=/cache touch /cache/x /data/later
"""


@pytest.fixture
def other(busybox: str, portside: Portside, tmp_path: Path) -> Iterator[Portside]:
    """A second, empty store with the same busybox image (saved and loaded: same ID)."""
    runroot = Path(tempfile.mkdtemp(prefix="psr-", dir="/tmp"))
    ps = Portside(tmp_path / "root2", runroot)
    archive = tmp_path / "busybox.tar"
    archive.write_bytes(portside("save", "busybox").stdout_bytes)
    ps("load", "-i", str(archive))
    yield ps
    remove_everything(ps)
    shutil.rmtree(runroot, ignore_errors=True)


def test_same_context_two_stores_same_image(
    portside: Portside, other: Portside, tmp_path: Path
) -> None:
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text(DOCKERFILE)
    (ctx / "app.txt").write_text("hello\n")
    env = {"SOURCE_DATE_EPOCH": str(EPOCH)}
    first = portside("build", "-q", str(ctx), env=env).stdout.strip()
    time.sleep(1.1)  # every file the second build makes is a second younger
    second = other("build", "-q", "--build-arg", f"SOURCE_DATE_EPOCH={EPOCH}", str(ctx))
    assert second.stdout.strip() == first
    # and the same bytes out: each store's image as an OCI archive, manifests and all
    archives = []
    for ps in (portside, other):
        archive = tmp_path / f"{len(archives)}.tar"
        ps("build", "-q", "-o", f"type=oci,dest={archive}", str(ctx), env=env)
        archives.append(hashlib.sha256(archive.read_bytes()).hexdigest())
    assert archives[0] == archives[1]

    image = json.loads(portside("image", "inspect", first).stdout)[0]
    assert image["Created"] == "2023-11-14T22:13:20Z"
    created = portside("history", "--format", "{{.CreatedAt}}", first).stdout.splitlines()
    # the build's five steps at the epoch; busybox's own history as it was
    assert created[:5] == ["2023-11-14 22:13:20 +0000 UTC"] * 5 and created[5:] != created[:1]
    # no time in the new layers is later than the epoch
    listing = portside(
        "run", "--rm", first, "sh", "-c", "stat -c '%Y %n' /data /data/out /app /app/app.txt"
    ).stdout.split("\n")
    assert all(int(line.split()[0]) <= EPOCH for line in listing if line), listing

    # without the epoch the same build is a different image (a new time), and the
    # epoch's own cache is not mixed up with it
    plain = portside("build", "-q", str(ctx)).stdout.strip()
    assert plain != first
    again = portside("build", "--build-arg", f"SOURCE_DATE_EPOCH={EPOCH + 1}", str(ctx)).stdout
    assert "Cache miss: build arg SOURCE_DATE_EPOCH changed (None -> '1700000001')" in again


def test_a_bad_epoch_is_refused(portside: Portside, tmp_path: Path) -> None:
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text("FROM busybox\n")
    r = portside("build", str(ctx), env={"SOURCE_DATE_EPOCH": "yesterday"}, check=False)
    assert r.returncode == 1
    assert r.stderr.strip() == (
        'Error: invalid SOURCE_DATE_EPOCH "yesterday": a whole number of seconds since 1970'
    )
