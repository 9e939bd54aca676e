"""build --pull against the real registry: a FROM image the store has is pulled again
when asked, so a newer one pushed since is the one built on; without --pull the
store's copy is used and nothing is fetched."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..conftest import Portside, remove_everything
from .registries import serve

pytestmark = pytest.mark.usefixtures("busybox")


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[str]:
    work = tmp_path / "registry"
    work.mkdir()
    with serve(work) as address:
        yield address


@pytest.fixture
def other(tmp_path: Path) -> Iterator[Portside]:
    runroot = Path(tempfile.mkdtemp(prefix="psr-", dir="/tmp"))
    ps = Portside(tmp_path / "other-root", runroot)
    yield ps
    remove_everything(ps)
    shutil.rmtree(runroot, ignore_errors=True)


def test_pull_fetches_a_newer_base(
    portside: Portside, other: Portside, registry: str, tmp_path: Path
) -> None:
    base = f"{registry}/lib/base:1"
    portside("tag", "busybox", base)
    portside("push", base)
    other("pull", base)  # the builder's store has the first version

    newer = tmp_path / "newer"
    newer.mkdir()
    (newer / "Dockerfile").write_text("FROM busybox\nRUN echo v2 > /version\n")
    portside("build", "-t", base, str(newer))
    portside("push", base)

    app = tmp_path / "app"
    app.mkdir()
    (app / "Dockerfile").write_text(f"FROM {base}\nRUN cat /version 2>/dev/null || echo old\n")
    kept = other("build", "--network", "none", str(app)).stdout
    assert "Pulling from" not in kept and "\nold\n" in kept  # the store's copy

    pulled = other("build", "--network", "none", "--pull", str(app)).stdout
    assert "Pulling from lib/base" in pulled
    assert f"Status: Downloaded newer image for {base}" in pulled
    assert "Cache miss: the base image changed" in pulled
    assert "\nv2\n" in pulled
