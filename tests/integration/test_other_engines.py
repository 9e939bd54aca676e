"""Archives written by the other engines themselves: ``podman save`` and ``docker save``.

Podman runs with its own --root/--runroot under the test's tmp_path; Docker (only where
it is installed) as a private dockerd on its own socket and data root, stopped by PID.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..conftest import Portside
from ..engines import Dockerd, podman_argv, podman_cleanup, short_dir


@pytest.fixture
def work() -> Iterator[Path]:
    path = short_dir()
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def podman(work: Path) -> Iterator[list[str]]:
    argv = podman_argv(work)
    if argv is None:
        pytest.fail("podman is not installed (scripts/setup installs it)")
    yield argv
    podman_cleanup(work)


@pytest.mark.parametrize("fmt", ["docker-archive", "oci-archive"])
def test_load_what_podman_save_writes(
    portside: Portside, podman: list[str], busybox_tar: Path, tmp_path: Path, fmt: str
) -> None:
    run = lambda *a: subprocess.run([*podman, *a], check=True, capture_output=True, text=True)  # noqa: E731
    image_id = run(
        "import", "-q", "--change", 'CMD ["echo", "hi"]', str(busybox_tar), "pm/bb:1"
    ).stdout.strip()
    archive = tmp_path / "podman.tar"
    run("save", "--format", fmt, "-o", str(archive), "pm/bb:1")
    out = portside("load", "-i", str(archive)).stdout
    assert out == "Loaded image: localhost/pm/bb:1\n"
    info = json.loads(portside("image", "inspect", "localhost/pm/bb:1").stdout)[0]
    assert info["Config"]["Cmd"] == ["echo", "hi"]
    if fmt == "docker-archive":  # same config bytes: same image ID as in podman
        assert info["Id"].removeprefix("sha256:") == image_id.removeprefix("sha256:")


def test_podman_loads_what_save_writes(
    portside: Portside, podman: list[str], busybox: str, tmp_path: Path
) -> None:
    archive = tmp_path / "ours.tar"
    portside("save", "-o", str(archive), "busybox")
    out = subprocess.run(
        [*podman, "load", "-i", str(archive)], check=True, capture_output=True, text=True
    )
    assert "busybox:latest" in out.stdout
    listed = subprocess.run(
        [*podman, "images", "--format", "{{.ID}}", "--no-trunc"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert busybox in listed or busybox[7:] in listed


@pytest.fixture
def docker(work: Path) -> Iterator[list[str]]:
    if not Dockerd.installed():
        pytest.skip(
            "Docker is not installed here (not required: podman and skopeo cover the formats)"
        )
    daemon = Dockerd(work)
    try:
        yield daemon.start()
    finally:
        daemon.stop()


def test_load_what_docker_save_writes(
    portside: Portside, docker: list[str], busybox_tar: Path, tmp_path: Path
) -> None:
    run = lambda *a: subprocess.run([*docker, *a], check=True, capture_output=True, text=True)  # noqa: E731
    image_id = run("import", "--change", 'CMD ["sh"]', str(busybox_tar), "dk/bb:1").stdout.strip()
    archive = tmp_path / "docker.tar"
    run("save", "-o", str(archive), "dk/bb:1")
    assert portside("load", "-i", str(archive)).stdout == "Loaded image: dk/bb:1\n"
    info = json.loads(portside("image", "inspect", "dk/bb:1").stdout)[0]
    assert info["Id"] == image_id
    assert info["Config"]["Cmd"] == ["sh"]
