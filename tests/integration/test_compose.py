"""docker-compose 1.29.2 (the Python one, from its own venv: tests/compose-requirements.txt)
against ``portside system service``: a two-service project brought up, looked at, used and
taken down as a user would, with what they see checked, and the store checked through
portside's own CLI after ``down -v``."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.integration.registries import free_port, http_get

from .conftest import Service

COMPOSE = REPO / ".venv-compose" / "bin" / "docker-compose"
PROJECT = "pstest"

# web serves a page from a named volume on a loopback port and keeps a file in an
# anonymous one (/cache); client reaches web by its service name on the project's network,
# says so in its log, and stays up
COMPOSE_FILE = """\
version: "3.8"
services:
  web:
    image: busybox
    environment: [GENERATION={generation}]
    command:
      - sh
      - -c
      - echo hello from the volume > /srv/index.html && exec httpd -f -p 80 -h /srv
    ports: ["127.0.0.1:{port}:80"]
    volumes: ["pages:/srv", "/cache"]
    stop_grace_period: 1s
  client:
    image: busybox
    depends_on: [web]
    command:
      - sh
      - -c
      - >-
        until wget -q -O /tmp/page http://web:80/; do sleep 0.2; done;
        echo "client got $$(cat /tmp/page)"; exec sleep 3600
    stop_grace_period: 1s
volumes:
  pages: {{}}
"""


@dataclass
class Compose:
    service: Service
    project: Path
    port: int  # web's published port on 127.0.0.1

    def write(self, generation: int) -> None:
        text = COMPOSE_FILE.format(port=self.port, generation=generation)
        (self.project / "docker-compose.yml").write_text(text)

    def __call__(
        self, *args: str, env: dict[str, str] | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        r = subprocess.run(
            [str(COMPOSE), "--ansi", "never", "-p", PROJECT, *args],
            cwd=self.project,
            capture_output=True,
            text=True,
            env={**self.service.client_env(), **(env or {})},
            timeout=120,
        )
        if check:
            assert r.returncode == 0, f"docker-compose {' '.join(args)}: {r.stdout}{r.stderr}"
        return r


@pytest.fixture
def compose_installed() -> None:
    """Skips (outside scripts/test, which fails instead) without .venv-compose."""
    if not COMPOSE.exists():
        if os.environ.get("PORTSIDE_COMPOSE_REQUIRED"):
            pytest.fail(f"{COMPOSE} is missing: scripts/setup should have made it")
        pytest.skip(f"docker-compose 1.29.2 is not installed ({COMPOSE}): run scripts/setup")


@pytest.fixture
def compose(compose_installed: None, service: Service, tmp_path: Path) -> Iterator[Compose]:
    project = tmp_path / "project"
    project.mkdir()
    c = Compose(service, project, free_port())
    c.write(generation=1)
    try:
        yield c
    finally:  # whatever a failed test left; the portside fixture then checks the host
        c("down", "-v", "--timeout", "1", check=False)


def wait_for(what: str, get: Callable[[], str], timeout: float = 20) -> str:
    deadline = time.monotonic() + timeout
    while True:
        out = get()
        if what in out:
            return out
        assert time.monotonic() < deadline, f"{what!r} not in {out!r}"
        time.sleep(0.2)


def test_up_ps_logs_exec_recreate_down(compose: Compose) -> None:
    port = compose.port
    up = compose("up", "-d")
    # depends_on: web is started before client
    assert up.stderr.index(f"{PROJECT}_web_1") < up.stderr.index(f"{PROJECT}_client_1"), up.stderr

    ps = compose("ps").stdout.splitlines()
    rows = {line.split()[0]: line for line in ps[2:]}
    assert set(rows) == {f"{PROJECT}_web_1", f"{PROJECT}_client_1"}, ps
    assert all("Up" in row.split() for row in rows.values()), ps  # the State column
    assert f"127.0.0.1:{port}->80/tcp" in rows[f"{PROJECT}_web_1"], ps

    # the published port answers on the host's loopback, from the named volume
    assert http_get(f"http://127.0.0.1:{port}/", timeout=10) == "hello from the volume\n"
    # client reached web by its service name
    logs = wait_for("client got hello from the volume", lambda: compose("logs", "client").stdout)
    assert f"{PROJECT}_client_1" in logs

    # exec through the API (docker-py's exec create/start, no TTY) ...
    api = {"COMPOSE_INTERACTIVE_NO_CLI": "1"}
    r = compose("exec", "-T", "web", "sh", "-c", "cat /srv/index.html; hostname", env=api)
    page, hostname = r.stdout.splitlines()
    assert page == "hello from the volume" and len(hostname) == 12, r.stdout
    r = compose("exec", "-T", "client", "sh", "-c", "exit 3", env=api, check=False)
    assert r.returncode == 3, r.stdout + r.stderr
    # ... and through the docker CLI, as compose does by default when one is on PATH
    if shutil.which("docker"):
        r = compose("exec", "-T", "client", "wget", "-q", "-O", "-", "http://web/")
        assert r.stdout == "hello from the volume\n", r.stderr

    # up again: nothing changed (the network's options, each container's config hash)
    again = compose("up", "-d").stderr
    assert f"{PROJECT}_web_1 is up-to-date" in again, again
    assert f"{PROJECT}_client_1 is up-to-date" in again, again
    # a changed service is recreated, and its anonymous volume goes to the new container
    compose("exec", "-T", "web", "sh", "-c", "echo kept > /cache/f", env=api)
    compose.write(generation=2)
    again = compose("up", "-d").stderr
    assert f"Recreating {PROJECT}_web_1" in again, again
    assert f"{PROJECT}_client_1 is up-to-date" in again, again
    r = compose("exec", "-T", "web", "sh", "-c", "echo $GENERATION; cat /cache/f", env=api)
    assert r.stdout == "2\nkept\n", r.stdout + r.stderr
    assert http_get(f"http://127.0.0.1:{port}/", timeout=10) == "hello from the volume\n"
    r = compose("exec", "-T", "client", "wget", "-q", "-O", "-", "http://web/", env=api)
    assert r.stdout == "hello from the volume\n", r.stderr  # the new web, by name

    # portside's own CLI sees the project
    ps_names = compose.service.portside("ps", "--format", "{{.Names}}").stdout.split()
    assert sorted(ps_names) == [f"{PROJECT}_client_1", f"{PROJECT}_web_1"]
    networks = compose.service.portside("network", "ls", "--format", "{{.Name}}").stdout
    assert f"{PROJECT}_default" in networks.split()
    volumes = compose.service.portside("volume", "ls", "-q").stdout.split()
    assert len(volumes) == 2 and f"{PROJECT}_pages" in volumes  # and /cache's

    down = compose("down", "-v", "--timeout", "1")
    assert f"Removing network {PROJECT}_default" in down.stderr, down.stderr
    assert f"Removing volume {PROJECT}_pages" in down.stderr, down.stderr
    assert compose("ps").stdout.splitlines()[2:] == []
    ps_all = compose.service.portside("ps", "-aq").stdout
    assert ps_all == ""
    networks = compose.service.portside("network", "ls", "--format", "{{.Name}}").stdout
    assert f"{PROJECT}_default" not in networks.split()
    assert compose.service.portside("volume", "ls", "-q").stdout == ""


def test_the_example_app_with_docker_compose_and_portside_compose_agreeing(
    compose_installed: None, service: Service, tmp_path: Path
) -> None:
    """examples/compose-app through docker-compose 1.29 on the service: built, the worker
    started only once the db's healthcheck passed, and ``portside compose ps`` on the
    same store lists the same containers, each running, as docker-compose's ps."""
    app = tmp_path / "compose-app"
    shutil.copytree(REPO / "examples/compose-app", app)
    port = free_port()
    env = {**service.client_env(), "WEB_PORT": str(port), "DB_WARMUP": "2"}

    def dc(*args: str) -> subprocess.CompletedProcess[str]:
        r = subprocess.run(
            [str(COMPOSE), "--ansi", "never", "-p", "psapp", *args],
            cwd=app, capture_output=True, text=True, env=env, timeout=180,
        )  # fmt: skip
        assert r.returncode == 0, f"docker-compose {' '.join(args)}: {r.stdout}{r.stderr}"
        return r

    try:
        dc("up", "-d")
        logs = wait_for("web says", lambda: dc("logs", "worker").stdout)
        assert "db says rows: 42" in logs, logs  # it started after the db was healthy
        assert http_get(f"http://127.0.0.1:{port}/", timeout=10)
        theirs = {line.split()[0] for line in dc("ps").stdout.splitlines()[2:]}
        ours = service.portside(
            "compose", "-f", str(app / "compose.yaml"), "-p", "psapp", "ps",
            "--format", "{{.Name}} {{.State}}", env={"WEB_PORT": str(port)},
        ).stdout.split("\n")  # fmt: skip
        assert theirs == {"psapp_web_1", "psapp_db_1", "psapp_worker_1"}
        assert sorted(line for line in ours if line) == sorted(f"{n} running" for n in theirs)
    finally:
        dc("down", "-v", "--timeout", "1")
