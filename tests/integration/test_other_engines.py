"""Archives written by the other engines themselves: ``podman save`` and ``docker save``.

Podman runs with its own --root/--runroot under the test's tmp_path; Docker (only where
it is installed) as a private dockerd on its own socket and data root, stopped by PID.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..conftest import Portside


@pytest.fixture
def short_dir() -> Iterator[Path]:
    """A folder with a short path: podman's runroot must be under 50 characters and
    containerd's socket path under 108, which pytest's tmp_path can exceed."""
    path = Path(tempfile.mkdtemp(prefix="ps-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def podman(short_dir: Path) -> Iterator[list[str]]:
    exe = shutil.which("podman")
    if exe is None:
        pytest.fail("podman is not installed (scripts/setup installs it)")
    root = short_dir / "podman"
    argv = [
        exe,
        "--root",
        str(root),
        "--runroot",
        str(short_dir / "podman-run"),
        "--storage-driver",
        "overlay",
        "--events-backend",
        "file",
        "--cgroup-manager",
        "cgroupfs",
    ]
    yield argv
    subprocess.run([*argv, "rmi", "-a", "-f"], capture_output=True)
    subprocess.run(["umount", "-R", str(root / "overlay")], capture_output=True)


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
def docker(short_dir: Path) -> Iterator[list[str]]:
    if shutil.which("dockerd") is None or shutil.which("docker") is None:
        pytest.skip(
            "Docker is not installed here (not required: podman and skopeo cover the formats)"
        )
    tmp_path = short_dir
    sock = tmp_path / "docker.sock"
    log = open(tmp_path / "dockerd.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [
            "dockerd",
            "--host",
            f"unix://{sock}",
            "--data-root",
            str(tmp_path / "docker"),
            "--exec-root",
            str(tmp_path / "docker-exec"),
            "--pidfile",
            str(tmp_path / "dockerd.pid"),
            "--bridge",
            "none",
            "--iptables=false",
        ],
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    argv = ["docker", "--host", f"unix://{sock}"]
    try:
        for _ in range(300):
            if subprocess.run([*argv, "version"], capture_output=True).returncode == 0:
                break
            if proc.poll() is not None:
                pytest.fail(f"dockerd exited: {(tmp_path / 'dockerd.log').read_text()[-500:]}")
            time.sleep(0.1)
        yield argv
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        subprocess.run(["umount", "-R", str(tmp_path / "docker")], capture_output=True)


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
