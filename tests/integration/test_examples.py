"""The examples a user starts from build and serve as the README says."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO, Portside
from tests.integration.registries import free_port, http_get, serve

pytestmark = pytest.mark.usefixtures("busybox")


def test_static_site_builds_and_serves_through_a_published_port(portside: Portside) -> None:
    out = portside("build", "-t", "site", str(REPO / "examples/static-site")).stdout
    assert "Successfully tagged site:latest" in out
    port = free_port()
    cid = portside("run", "-d", "-p", f"127.0.0.1:{port}:80", "site").stdout.strip()
    try:
        page = http_get(f"http://127.0.0.1:{port}/")
        assert page == (REPO / "examples/static-site/index.html").read_text()
    finally:
        portside("rm", "-f", cid)


@pytest.fixture
def node18(portside: Portside) -> str:
    """node:18 in the test's store, made as the demo makes it: scripts/base-images, which
    imports the rootfs cached in /var/cache/portside (the demo, README command 1, made it
    in CI) or makes it first with mmdebstrap from Debian's packages."""
    store = ["--root", str(portside.root), "--runroot", str(portside.runroot)]
    subprocess.run(
        ["bash", str(REPO / "scripts/base-images"), *store],
        env={**os.environ, "BASE_IMAGES": "node"},
        check=True,
        capture_output=True,
    )
    return "node:18"


def test_the_notes_walk_with_the_node_example(
    portside: Portside, node18: str, tmp_path: Path
) -> None:
    """The demo's walk of the course notes, step by step, with what a user sees at each."""
    app = tmp_path / "notes-app"
    shutil.copytree(REPO / "examples/notes-app", app)
    greeting = "Hello from the notes app!\n"

    # build, then the rebuild that takes every step from the cache: the same image
    first = portside("build", "-t", "notes-app", str(app)).stdout
    assert "Step 4/7 : RUN npm install" in first and "Successfully tagged notes-app:latest" in first
    image_id = portside("images", "-q", "--no-trunc", "notes-app").stdout.strip()
    again = portside("build", "-t", "notes-app", str(app)).stdout
    assert "Cache miss" not in again and again.count("Using cache") == 3
    assert f"Successfully built {image_id[7:19]}" in again

    # run detached with a published port; ps, logs
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    portside("run", "-d", "-p", f"{port}:80", "--name", "notes", "notes-app")
    assert http_get(url, timeout=15) == greeting
    ps = portside("ps", "--format", "{{.Names}} {{.Image}} {{.Ports}} {{.Status}}").stdout
    assert ps.startswith(f"notes notes-app 0.0.0.0:{port}->80/tcp Up ")
    logs = portside("logs", "notes").stdout
    assert logs.startswith("listening on port 80\n") and "GET /" in logs

    # stop (server.js exits on SIGTERM), start again: the same port answers
    portside("stop", "-t", "5", "notes")
    assert portside("ps", "-q").stdout == ""
    status = portside("ps", "-a", "--format", "{{.Names}} {{.Status}}").stdout
    assert status.startswith("notes Exited (0) ")
    portside("start", "notes")
    assert http_get(url, timeout=15) == greeting

    # cp out of the container: what npm install wrote
    portside("cp", "notes:/app/package-lock.json", str(tmp_path))
    lock = json.loads((tmp_path / "package-lock.json").read_text())
    assert lock["name"] == "notes-app"

    # image inspect: the Dockerfile's config
    config = json.loads(portside("image", "inspect", "notes-app").stdout)[0]["Config"]
    assert config["ExposedPorts"] == {"80/tcp": {}}
    assert config["Cmd"] == ["node", "server.js"] and config["WorkingDir"] == "/app"

    # an edit to the source: the rebuild keeps npm install and misses from COPY . /app
    server = app / "server.js"
    server.write_text(server.read_text().replace("Hello from", "Hello again, from"))
    edited = portside("build", "-t", "notes-app", str(app)).stdout
    assert edited.count("Using cache") == 2
    assert "Step 5/7 : COPY . /app\n ---> Cache miss: changed server.js" in edited
    assert portside("images", "-q", "--no-trunc", "notes-app").stdout.strip() != image_id
    portside("rm", "-f", "notes")
    portside("run", "-d", "-p", f"{port}:80", "--name", "notes", "notes-app")
    assert http_get(url, timeout=15) == "Hello again, from the notes app!\n"

    # share through a registry: the second push finds every layer there; rmi, and run
    # pulls it back
    (tmp_path / "registry").mkdir()
    with serve(tmp_path / "registry") as address:
        ref = f"{address}/myuser/notes-app:1"
        portside("tag", "notes-app", ref)
        layers = len(json.loads(portside("image", "inspect", ref).stdout)[0]["RootFS"]["Layers"])
        assert portside("push", ref).stdout.count(": Pushed") == layers
        assert portside("push", ref).stdout.count(": Layer already exists") == layers
        portside("rm", "-f", "notes")
        portside("rmi", "notes-app", ref)
        assert portside("images", "-q", "notes-app").stdout == ""
        run = portside("run", "-d", "-p", f"{port}:80", "--name", "notes", ref)
        assert f"Unable to find image '{ref}' locally" in run.stderr
        assert http_get(url, timeout=15) == "Hello again, from the notes app!\n"

    # rm, and image prune -a: nothing is left
    portside("rm", "-f", "notes")
    assert "Total reclaimed space:" in portside("image", "prune", "-a", "-f").stdout
    assert portside("images", "-q").stdout == ""
