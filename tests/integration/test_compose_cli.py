"""portside compose with real containers: services in order, reaching each other by
name, a published port on 127.0.0.1, ``up`` again recreating only what changed, and
``down -v`` leaving nothing behind."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO, Portside, store_state
from tests.integration.registries import free_port, http_get

pytestmark = pytest.mark.usefixtures("busybox")

APP = """
x-quick: &quick
  image: busybox
  init: true
  stop_grace_period: 1s
services:
  web:
    build: ./web
    ports: ["127.0.0.1:${WEB_PORT}:80"]
    labels: {tier: front}
  cache:
    <<: *quick
    command: sh -c "echo cache ${CACHE_WORD:-ready}; exec sleep 100000"
  worker:
    <<: *quick
    depends_on: [web, cache]
    command: sh -c "echo worker got $$(wget -qO- http://web/); exec sleep 100000"
    volumes: [state:/state]
volumes:
  state:
"""


class Compose:
    """``portside compose -p NAME -f FILE …`` on the test's store."""

    def __init__(self, portside: Portside, folder: Path, name: str) -> None:
        self.portside, self.folder, self.name = portside, folder, name
        self.env: dict[str, str] = {}

    def __call__(self, *args: str, check: bool = True) -> object:
        return self.portside(
            "compose",
            "-p",
            self.name,
            "-f",
            str(self.folder / "compose.yaml"),
            *args,
            env=self.env,
            check=check,
        )

    def inspect(self, container: str) -> dict[str, object]:
        out = self.portside("inspect", container).stdout
        return json.loads(out)[0]  # type: ignore[no-any-return]

    def ids(self) -> dict[str, str]:
        """Container name -> ID, of every container in the store."""
        out = self.portside("ps", "-a", "--no-trunc", "--format", "{{.Names}} {{.ID}}").stdout
        return dict(line.split() for line in out.splitlines())


@pytest.fixture
def app(portside: Portside, tmp_path: Path) -> Iterator[Compose]:
    folder = tmp_path / "app"
    (folder / "web").mkdir(parents=True)
    (folder / "compose.yaml").write_text(APP)
    (folder / "web" / "index.html").write_text("page of web\n")
    (folder / "web" / "Dockerfile").write_text(
        "FROM busybox\nCOPY index.html /www/index.html\n"
        'CMD ["httpd", "-f", "-p", "80", "-h", "/www"]\n'
    )
    compose = Compose(portside, folder, "demo")
    compose.env = {"WEB_PORT": str(free_port())}
    yield compose
    compose("down", "-v", "-t", "1", check=False)


def logs_of(compose: Compose, service: str, text: str, timeout: float = 10) -> str:
    deadline = time.monotonic() + timeout
    while True:
        out: str = compose("logs", service).stdout  # type: ignore[attr-defined]
        if text in out or time.monotonic() > deadline:
            return out
        time.sleep(0.2)


def test_up_names_labels_ports_and_name_resolution(app: Compose) -> None:
    up = app("up", "-d").stderr  # type: ignore[attr-defined]
    for line in (
        " Network demo_default  Created",
        " Volume demo_state  Created",
        " Container demo-worker-1  Started",
    ):
        assert line in up, up
    # what depends on others starts after them
    assert up.index("demo-web-1  Started") < up.index("demo-worker-1  Starting")
    assert up.index("demo-cache-1  Started") < up.index("demo-worker-1  Starting")
    port = app.env["WEB_PORT"]
    assert http_get(f"http://127.0.0.1:{port}/") == "page of web\n"
    assert "worker-1  | worker got page of web" in logs_of(app, "worker", "worker got")

    ps = app("ps").stdout.splitlines()  # type: ignore[attr-defined]
    assert ps[0].split() == ["NAME", "IMAGE", "COMMAND", "SERVICE", "CREATED", "STATUS", "PORTS"]
    assert [line.split()[0] for line in ps[1:]] == ["demo-cache-1", "demo-web-1", "demo-worker-1"]
    assert f"127.0.0.1:{port}->80/tcp" in ps[2]

    labels = app.inspect("demo-web-1")["Config"]["Labels"]  # type: ignore[index]
    assert labels["com.docker.compose.project"] == "demo"
    assert labels["com.docker.compose.service"] == "web"
    assert labels["com.docker.compose.container-number"] == "1"
    assert labels["com.docker.compose.oneoff"] == "False"
    assert labels["com.docker.compose.project.working_dir"] == str(app.folder)
    assert labels["com.docker.compose.project.config_files"] == str(app.folder / "compose.yaml")
    assert len(labels["com.docker.compose.config-hash"]) == 64
    assert labels["tier"] == "front"
    network = json.loads(app.portside("network", "inspect", "demo_default").stdout)[0]
    assert network["Labels"]["com.docker.compose.network"] == "default"
    volume = json.loads(app.portside("volume", "inspect", "demo_state").stdout)[0]
    assert volume["Labels"]["com.docker.compose.volume"] == "state"


def test_up_again_recreates_only_what_changed(app: Compose) -> None:
    app("up", "-d")
    before = app.ids()
    again = app("up", "-d").stderr  # type: ignore[attr-defined]
    assert "Recreate" not in again and "Created" not in again, again
    assert app.ids() == before
    app.env["CACHE_WORD"] = "changed"
    changed = app("up", "-d").stderr  # type: ignore[attr-defined]
    assert " Container demo-cache-1  Recreated" in changed, changed
    after = app.ids()
    assert after["demo-cache-1"] != before["demo-cache-1"]
    assert after["demo-web-1"] == before["demo-web-1"]
    assert after["demo-worker-1"] == before["demo-worker-1"]
    assert "cache changed" in logs_of(app, "cache", "cache changed")
    forced = app("up", "-d", "--force-recreate", "--no-deps", "web").stderr  # type: ignore[attr-defined]
    assert "demo-web-1  Recreated" in forced and "cache" not in forced


def test_down_v_leaves_nothing(app: Compose) -> None:
    app("up", "-d")
    down = app("down", "-v", "-t", "1").stderr  # type: ignore[attr-defined]
    assert " Network demo_default  Removed" in down and " Volume demo_state  Removed" in down
    assert app.portside("ps", "-aq").stdout == ""
    networks = app.portside("network", "ls", "--format", "{{.Name}}").stdout.split()
    assert sorted(networks) == ["bridge", "host", "none"]
    assert app.portside("volume", "ls", "-q").stdout == ""


def test_logs_ps_and_a_foreground_up_that_ends(portside: Portside, tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(
        "services:\n"
        "  one:\n    image: busybox\n    command: sh -c 'echo first; sleep 0.3; echo second'\n"
        "  two:\n    image: busybox\n    command: echo hi\n    deploy: {replicas: 2}\n"
    )
    compose = Compose(portside, tmp_path, "fg")
    try:
        out = compose("up").stdout  # type: ignore[attr-defined]
        assert "one-1  | first" in out and "one-1  | second" in out
        assert "two-1  | hi" in out and "two-2  | hi" in out
        assert "one-1 exited with code 0" in out
        tail = compose("logs", "--tail", "1", "one").stdout  # type: ignore[attr-defined]
        assert tail == "one-1  | second\n"
        assert compose("ps").stdout.count("\n") == 1  # type: ignore[attr-defined]
        listed = compose("ps", "-a", "--services").stdout  # type: ignore[attr-defined]
        assert listed == "one\ntwo\n"
    finally:
        compose("down", check=False)


def test_an_invalid_file_is_one_line_and_creates_nothing(
    portside: Portside, tmp_path: Path
) -> None:
    (tmp_path / "compose.yaml").write_text(
        "services:\n  web:\n    image: busybox\n    ports:\n      - '80:80'\n    volumez: []\n"
    )
    before = store_state(portside.root)
    r = Compose(portside, tmp_path, "bad")("up", "-d", check=False)
    assert r.returncode != 0  # type: ignore[attr-defined]
    err = r.stderr.strip()  # type: ignore[attr-defined]
    assert err == f"Error: {tmp_path / 'compose.yaml'}:6: services.web.volumez: unknown key"
    assert store_state(portside.root) == before


def test_config_prints_the_merged_interpolated_model(portside: Portside, tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text("services:\n  a:\n    image: busybox:${TAG:-1}\n")
    (tmp_path / "compose.override.yaml").write_text("services:\n  a:\n    user: nobody\n")
    r = portside("compose", "--project-directory", str(tmp_path), "config", env={"TAG": "2"})
    name = tmp_path.name.lower()
    assert r.stdout == (
        f"name: {name}\n"
        "services:\n  a:\n    image: busybox:2\n    user: nobody\n"
        f"networks:\n  default:\n    name: {name}_default\n"
    )


@pytest.mark.skipif(
    shutil.which("tini") is None, reason="the example's services run under init (tini)"
)
def test_the_example_app_starts_the_worker_after_the_db_is_healthy(
    portside: Portside, tmp_path: Path
) -> None:
    if "--health-cmd" not in portside("run", "--help").stdout:
        pytest.skip("this engine has no healthchecks yet (branch health)")
    folder = tmp_path / "compose-app"
    shutil.copytree(REPO / "examples/compose-app", folder)
    compose = Compose(portside, folder, "example")
    compose.env = {"WEB_PORT": str(free_port()), "DB_WARMUP": "2"}
    try:
        up = compose("up", "-d").stderr  # type: ignore[attr-defined]
        assert up.index("example-db-1  Healthy") < up.index("example-worker-1  Starting"), up
        worker = logs_of(compose, "worker", "web says")
        assert "worker: db says rows: 42" in worker  # the db was ready when it started
        assert "worker: web says hello from the web service" in worker
        page = http_get(f"http://127.0.0.1:{compose.env['WEB_PORT']}/")
        assert page == "hello from the web service\n"
    finally:
        compose("down", "-v", "-t", "1", check=False)
    assert portside("ps", "-aq").stdout == "" and portside("volume", "ls", "-q").stdout == ""


def test_exec_run_and_the_per_container_commands(app: Compose) -> None:
    app("up", "-d")
    out = app("exec", "-T", "cache", "sh", "-c", "echo in $(hostname)").stdout  # type: ignore[attr-defined]
    assert out.startswith("in ")
    r = app(
        "run",
        "--rm",
        "-T",
        "--no-deps",
        "cache",
        "sh",
        "-c",
        "wget -qO- http://web/; exit 3",
        check=False,
    )
    assert r.returncode == 3 and r.stdout == "page of web\n"  # type: ignore[attr-defined]
    assert "demo-cache-run-" not in app.portside("ps", "-a").stdout  # --rm removed it
    app("stop", "-t", "1", "worker")
    states = app("ps", "-a", "--format", "{{.Name}} {{.State}}").stdout  # type: ignore[attr-defined]
    assert "demo-worker-1 exited" in states and "demo-cache-1 running" in states
    app("start")
    assert "demo-worker-1 running" in app("ps", "--format", "{{.Name}} {{.State}}").stdout  # type: ignore[attr-defined]
    app("kill", "cache")
    app("rm", "-f", "cache")
    assert "demo-cache-1" not in app.ids()
    app("restart", "-t", "1", "web")
    assert app("port", "web", "80").stdout == f"127.0.0.1:{app.env['WEB_PORT']}\n"  # type: ignore[attr-defined]
    top = app("top", "web").stdout  # type: ignore[attr-defined]
    assert "demo-web-1" in top and "httpd" in top
    images = app("images").stdout.splitlines()  # type: ignore[attr-defined]
    assert images[0].split() == ["CONTAINER", "REPOSITORY", "TAG", "IMAGE", "ID", "SIZE"]
    assert any(line.split()[:3] == ["demo-web-1", "demo-web", "latest"] for line in images)


KEYS = """
services:
  svc:
    image: busybox
    container_name: named-one
    hostname: hosty
    user: "1000:1000"
    working_dir: /tmp
    entrypoint: ["sh", "-c"]
    command: ["sleep 100000"]
    environment: {FROM_FILE: overridden}
    env_file: [vars.env]
    init: true
    read_only: true
    tmpfs: [/run/scratch]
    cap_drop: [NET_RAW]
    cap_add: [SYS_TIME]
    stop_signal: SIGINT
    stop_grace_period: 3s
    restart: unless-stopped
    expose: ["9000"]
    labels: [role=test]
    volumes:
      - type: bind
        source: ./shared
        target: /shared
        read_only: true
      - type: volume
        source: outside
        target: /outside
      - type: tmpfs
        target: /cache
    networks:
      back:
        aliases: [backend]
      front:
    deploy:
      resources:
        limits: {cpus: "0.5", memory: 32m, pids: 64}
  peer:
    image: busybox
    init: true
    command: sleep 100000
    networks: [back]
networks:
  back:
  front:
    external: true
    name: shared-front
volumes:
  outside:
    external: true
"""


def test_service_keys_reach_the_container(portside: Portside, tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(KEYS)
    (tmp_path / "vars.env").write_text("FROM_FILE=file\nONLY_FILE=yes\n")
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "f").write_text("from host\n")
    compose = Compose(portside, tmp_path, "keys")
    missing = compose("up", "-d", check=False)
    assert missing.returncode != 0  # type: ignore[attr-defined]
    assert "shared-front declared as external, but could not be found" in missing.stderr  # type: ignore[attr-defined]
    portside("network", "create", "shared-front")
    portside("volume", "create", "outside")
    try:
        compose("up", "-d")
        c = compose.inspect("named-one")
        config, host = c["Config"], c["HostConfig"]
        assert config["Hostname"] == "hosty" and config["User"] == "1000:1000"  # type: ignore[index]
        assert config["WorkingDir"] == "/tmp" and config["Entrypoint"] == ["sh", "-c"]  # type: ignore[index]
        assert "FROM_FILE=overridden" in config["Env"] and "ONLY_FILE=yes" in config["Env"]  # type: ignore[index]
        assert config["StopSignal"] == "SIGINT" and config["StopTimeout"] == 3  # type: ignore[index]
        assert config["Labels"]["role"] == "test"  # type: ignore[index]
        assert host["Init"] is True and host["ReadonlyRootfs"] is True  # type: ignore[index]
        assert host["CapDrop"] == ["NET_RAW"] and host["CapAdd"] == ["SYS_TIME"]  # type: ignore[index]
        assert host["RestartPolicy"]["Name"] == "unless-stopped"  # type: ignore[index]
        assert host["NanoCpus"] == 500_000_000 and host["Memory"] == 32 * 1024 * 1024  # type: ignore[index]
        assert host["PidsLimit"] == 64  # type: ignore[index]
        assert "/run/scratch" in host["Tmpfs"]  # type: ignore[index]
        networks = c["NetworkSettings"]["Networks"]  # type: ignore[index]
        assert set(networks) == {"keys_back", "shared-front"}
        assert {"svc", "backend"} <= set(networks["keys_back"]["Aliases"])
        run = ["exec", "named-one", "sh", "-c"]
        assert portside(*run, "cat /shared/f").stdout == "from host\n"
        assert portside(*run, "touch /shared/x", check=False).returncode != 0  # read-only bind
        root = ["exec", "-u", "0", "named-one", "sh", "-c"]
        portside(*root, "touch /outside/x /cache/x")  # a volume and a tmpfs, writable
        # the other service reaches this one by its alias on their network
        peer = ["exec", "keys-peer-1", "sh", "-c", "grep -w backend /etc/hosts"]
        assert portside(*peer).stdout.strip()
        compose("down", "-t", "1")
        kept = portside("network", "ls", "--format", "{{.Name}}").stdout.split()
        assert "shared-front" in kept and "keys_back" not in kept  # an external one stays
    finally:
        compose("down", "-t", "1", check=False)
        portside("network", "rm", "shared-front", check=False)


def test_completed_successfully_orphans_and_rmi(portside: Portside, tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(
        "services:\n"
        "  migrate:\n    image: busybox\n    command: sh -c 'sleep 1; echo migrated'\n"
        "  app:\n    build: {context: ., dockerfile: App.Dockerfile}\n    init: true\n"
        "    depends_on: {migrate: {condition: service_completed_successfully}}\n"
    )
    (tmp_path / "App.Dockerfile").write_text('FROM busybox\nCMD ["sleep", "100000"]\n')
    compose = Compose(portside, tmp_path, "jobs")
    try:
        up = compose("up", "-d").stderr  # type: ignore[attr-defined]
        assert up.index("jobs-migrate-1  Exited") < up.index("jobs-app-1  Starting"), up
        # a service gone from the file leaves an orphan, named, then removed on request
        (tmp_path / "compose.yaml").write_text(
            "services:\n  app:\n    build: {context: ., dockerfile: App.Dockerfile}\n"
            "    init: true\n"
        )
        again = compose("up", "-d").stderr  # type: ignore[attr-defined]
        assert "Found orphan containers ([jobs-migrate-1])" in again
        compose("up", "-d", "--remove-orphans")
        assert "jobs-migrate-1" not in portside("ps", "-a").stdout
        compose("down", "--rmi", "local", "-t", "1")
        assert portside("images", "-q", "jobs-app").stdout == ""
        assert portside("images", "-q", "busybox").stdout  # not built here: kept
    finally:
        compose("down", "-t", "1", check=False)


def test_a_failing_dependency_stops_up(portside: Portside, tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(
        "services:\n"
        "  job:\n    image: busybox\n    command: sh -c 'exit 4'\n"
        "  app:\n    image: busybox\n    command: sleep 1000\n"
        "    depends_on: {job: {condition: service_completed_successfully}}\n"
    )
    compose = Compose(portside, tmp_path, "failing")
    try:
        r = compose("up", "-d", check=False)
        assert r.returncode == 1  # type: ignore[attr-defined]
        assert 'service "job" didn\'t complete successfully: exit 4' in r.stderr  # type: ignore[attr-defined]
        assert "failing-app-1" not in portside("ps", "-a").stdout
    finally:
        compose("down", check=False)


def test_run_takes_env_user_workdir_and_name(app: Compose) -> None:
    r = app(
        "run", "--rm", "-T", "--no-deps", "-e", "EXTRA=1", "-u", "nobody", "-w", "/tmp",
        "cache", "sh", "-c", "echo $EXTRA $(id -un) $(pwd)",
    )  # fmt: skip
    assert r.stdout == "1 nobody /tmp\n"  # type: ignore[attr-defined]
    app("run", "-d", "--no-deps", "--name", "kept", "cache", "sleep", "100")
    labels = app.inspect("kept")["Config"]["Labels"]  # type: ignore[index]
    assert labels["com.docker.compose.oneoff"] == "True"
    assert "kept" in app("ps", "-a").stdout  # type: ignore[attr-defined]
    assert "kept" not in app("ps").stdout  # type: ignore[attr-defined]
    app("up", "-d", "--wait", "cache")
    assert "demo-cache-1" in app("ps").stdout  # type: ignore[attr-defined]
    app("down", "-t", "1")
    assert app.portside("ps", "-aq").stdout == ""  # the one-off container too


def test_a_recreated_container_keeps_its_anonymous_volume(
    portside: Portside, tmp_path: Path
) -> None:
    (tmp_path / "compose.yaml").write_text(
        "services:\n  s:\n    image: busybox\n    init: true\n"
        "    command: sleep ${NAP:-100}\n    volumes: [/data]\n"
    )
    compose = Compose(portside, tmp_path, "anon")
    try:
        compose("up", "-d")
        compose("exec", "-T", "s", "sh", "-c", "echo kept > /data/f")
        compose.env = {"NAP": "200"}
        assert "Recreated" in compose("up", "-d").stderr  # type: ignore[attr-defined]
        assert compose("exec", "-T", "s", "cat", "/data/f").stdout == "kept\n"  # type: ignore[attr-defined]
        compose("down", "-v", "-t", "1")
        assert portside("volume", "ls", "-q").stdout == ""
    finally:
        compose("down", "-v", "-t", "1", check=False)


def test_an_unhealthy_dependency_stops_up_and_wait_waits_for_healthy(
    portside: Portside, tmp_path: Path
) -> None:
    (tmp_path / "compose.yaml").write_text(
        "x-s: &s\n  image: busybox\n  init: true\n  command: sleep 100000\n"
        "services:\n"
        "  sick:\n    <<: *s\n"
        "    healthcheck: {test: 'exit 1', interval: 1s, retries: 1}\n"
        "  app:\n    <<: *s\n    depends_on: {sick: {condition: service_healthy}}\n"
        "  fine:\n    <<: *s\n    healthcheck: {test: ['CMD', 'true'], interval: 1s}\n"
    )
    compose = Compose(portside, tmp_path, "health")
    try:
        r = compose("up", "-d", "app", check=False)
        assert r.returncode == 1  # type: ignore[attr-defined]
        assert "dependency failed to start: container health-sick-1 is unhealthy" in r.stderr  # type: ignore[attr-defined]
        assert "health-app-1" not in portside("ps", "-a").stdout
        waited = compose("up", "-d", "--wait", "fine").stderr  # type: ignore[attr-defined]
        assert " Container health-fine-1  Healthy" in waited
        assert "(healthy)" in compose("ps", "fine").stdout  # type: ignore[attr-defined]
    finally:
        compose("down", "-t", "1", check=False)


RESTARTING = """
x-quick: &quick
  image: busybox
  init: true
  stop_grace_period: 1s
services:
  db:
    <<: *quick
    command: sh -c "echo db ${DB_WORD:-one}; exec sleep 100000"
  follower:
    <<: *quick
    depends_on:
      db: {condition: service_started, restart: true}
    command: sh -c "exec sleep 100000"
  bystander:
    <<: *quick
    depends_on: [db]
    command: sh -c "exec sleep 100000"
"""


def test_depends_on_restart_restarts_the_dependent_when_its_dependency_is_updated(
    portside: Portside, tmp_path: Path
) -> None:
    (tmp_path / "compose.yaml").write_text(RESTARTING)
    app = Compose(portside, tmp_path, "rst")
    try:
        app("up", "-d")
        ids = app.ids()

        def started(service: str) -> str:
            return str(app.inspect(f"rst-{service}-1")["State"]["StartedAt"])  # type: ignore[index]

        before = {s: started(s) for s in ("follower", "bystander")}
        app.env = {"DB_WORD": "two"}  # db's command changes: recreated
        app("up", "-d")
        after = app.ids()
        assert after["rst-db-1"] != ids["rst-db-1"]  # db replaced
        assert after["rst-follower-1"] == ids["rst-follower-1"]  # the same container ...
        assert started("follower") != before["follower"]  # ... started again
        assert started("bystander") == before["bystander"]  # no restart: true, left alone
        again = started("follower")
        app("restart", "db")  # an explicit restart of db restarts follower too
        assert started("follower") != again
        assert started("bystander") == before["bystander"]
    finally:
        app("down", "-t", "0", check=False)
