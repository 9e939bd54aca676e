"""The Engine API server (``portside system service``) against real clients: the docker
CLI binaries, docker-py, and raw HTTP on the unix socket. Each test runs its own
service on a throwaway store and socket, stopped by PID when the test ends."""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import OFFLINE

from .conftest import DOCKER_BINARIES, Service, UnixHTTPConnection


def test_ping_version_info_and_errors(service: Service) -> None:
    status, headers, body = service.request("GET", "/_ping")
    assert (status, body) == (200, b"OK")
    assert headers["API-Version"] == "1.41" and headers["OSType"] == "linux"
    status, headers, body = service.request("HEAD", "/v1.41/_ping")
    assert status == 200 and headers["Docker-Experimental"] == "false"
    status, _, body = service.request("GET", "/v1.41/version")
    version = json.loads(body)
    assert version["ApiVersion"] == "1.41" and version["MinAPIVersion"] == "1.12"
    assert version["Os"] == "linux" and version["Components"][0]["Name"] == "Engine"
    status, _, body = service.request("GET", "/info")
    assert status == 200 and json.loads(body)["Images"] == 1
    status, _, body = service.request("GET", "/v1.41/nothing/here")
    assert (status, json.loads(body)) == (404, {"message": "page not found"})


def test_a_malformed_request_gets_400_and_the_service_goes_on(service: Service) -> None:
    conn = UnixHTTPConnection(service.socket)
    status, _, body = service.request("POST", "/containers/create", b"{not json", conn=conn)
    assert status == 400 and "invalid JSON" in json.loads(body)["message"]
    status, _, _ = service.request("GET", "/_ping", conn=conn)  # the same connection
    assert status == 200
    raw = socket.socket(socket.AF_UNIX)
    raw.connect(service.socket)
    raw.sendall(b"this is not HTTP\r\n\r\n")
    answer = b""
    while chunk := raw.recv(4096):  # the service closes a connection it cannot parse
        answer += chunk
    assert b" 400 " in answer.split(b"\r\n")[0] and answer.endswith(b"}"), answer
    raw.close()
    assert service.request("GET", "/_ping")[0] == 200


def test_create_does_not_pull_and_answers_404(service: Service) -> None:
    status, _, body = service.request(
        "POST", "/containers/create", json.dumps({"Image": "nosuchimage"}).encode()
    )
    assert status == 404 and json.loads(body)["message"].startswith("No such image: nosuchimage")


@pytest.mark.parametrize("binary", DOCKER_BINARIES)
def test_docker_cli_run_returns_the_output_and_the_exit_code(service: Service, binary: str) -> None:
    r = service.docker(binary, "run", "--rm", "busybox", "echo", "hi")
    assert (r.returncode, r.stdout) == (0, "hi\n"), r.stderr
    r = service.docker(binary, "run", "--rm", "busybox", "sh", "-c", "echo err >&2; exit 3")
    assert (r.returncode, r.stderr) == (3, "err\n")
    assert service.portside("ps", "-aq").stdout == ""  # --rm removed them


@pytest.mark.parametrize("binary", DOCKER_BINARIES)
def test_docker_cli_stdin_tty_and_followed_logs(service: Service, binary: str) -> None:
    r = service.docker(
        binary, "run", "-i", "--rm", "busybox", "sh", "-c", "cat; exit 4", input="foo\n"
    )
    assert (r.returncode, r.stdout) == (4, "foo\n"), r.stderr
    r = service.docker(binary, "run", "-t", "--rm", "busybox", "echo", "tty")
    # a raw stream (frame headers would show), the TTY's CRLF read back as text
    assert (r.returncode, r.stdout) == (0, "tty\n"), r.stderr
    r = service.docker(
        binary, "run", "-d", "busybox", "sh", "-c", "for i in 1 2 3; do echo $i; sleep 0.2; done"
    )
    cid = r.stdout.strip()
    assert service.docker(binary, "logs", "-f", cid).stdout == "1\n2\n3\n"  # until the exit
    assert service.docker(binary, "wait", cid).stdout == "0\n"
    assert service.docker(binary, "rm", cid).returncode == 0


@pytest.mark.parametrize("binary", DOCKER_BINARIES)
def test_docker_cli_manages_a_detached_container(service: Service, binary: str) -> None:
    r = service.docker(
        binary, "run", "-d", "--name", "web", "busybox", "sh", "-c", "echo up; sleep 60"
    )
    assert r.returncode == 0, r.stderr
    cid = r.stdout.strip()
    ps = service.docker(binary, "ps", "--format", "{{.Names}} {{.Status}}").stdout
    assert ps.startswith("web Up"), ps
    deadline = time.monotonic() + 10
    while (logs := service.docker(binary, "logs", "web").stdout) != "up\n":
        assert time.monotonic() < deadline, logs
        time.sleep(0.1)
    inspect = json.loads(service.docker(binary, "inspect", "web").stdout)
    assert inspect[0]["Id"] == cid and inspect[0]["State"]["Running"] is True
    assert service.docker(binary, "stop", "-t", "1", "web").stdout == "web\n"
    ps = service.docker(binary, "ps", "-a", "--format", "{{.Names}} {{.Status}}").stdout
    assert ps.startswith("web Exited (137)"), ps
    assert service.docker(binary, "rm", "web").returncode == 0
    assert service.portside("ps", "-aq").stdout == ""


@pytest.mark.parametrize("binary", DOCKER_BINARIES)
def test_docker_cli_version_info_images(service: Service, binary: str) -> None:
    r = service.docker(binary, "version", "--format", "{{.Server.APIVersion}}")
    assert (r.returncode, r.stdout) == (0, "1.41\n"), r.stderr
    r = service.docker(binary, "info", "--format", "{{.Images}} {{.OSType}}")
    assert (r.returncode, r.stdout) == (0, "1 linux\n"), r.stderr
    r = service.docker(binary, "images", "--format", "{{.Repository}}:{{.Tag}}")
    assert r.stdout == "busybox:latest\n", r.stderr
    # ContainerConfig: empty for an imported image, but there (docker-compose 1.x reads it)
    r = service.docker(
        binary, "image", "inspect", "busybox", "--format", "{{json .ContainerConfig.Volumes}}"
    )
    assert r.stdout == "null\n", r.stderr
    assert service.docker(binary, "tag", "busybox", "mybox:1").returncode == 0
    assert "Untagged: mybox:1" in service.docker(binary, "rmi", "mybox:1").stdout


def test_docker_py(service: Service) -> None:
    docker = pytest.importorskip("docker")
    client = docker.DockerClient(base_url=service.uri)
    try:
        assert client.containers.run("busybox", "echo hi", remove=True) == b"hi\n"
        c = client.containers.run("busybox", ["sh", "-c", "echo out; sleep 60"], detach=True)
        deadline = time.monotonic() + 10
        while c.logs() != b"out\n":
            assert time.monotonic() < deadline
            time.sleep(0.1)
        c.stop(timeout=1)
        assert c.wait()["StatusCode"] == 137
        c.remove()
        assert [i.tags for i in client.images.list()] == [["busybox:latest"]]
    finally:
        client.close()


def test_our_cli_sees_what_the_api_did(service: Service) -> None:
    body = json.dumps({"Image": "busybox", "Cmd": ["true"], "Labels": {"from": "api"}})
    status, _, data = service.request("POST", "/containers/create?name=made", body.encode())
    assert status == 201
    cid = json.loads(data)["Id"]
    out = service.portside("ps", "-a", "--no-trunc", "--format", "{{.ID}} {{.Names}}").stdout
    assert out == f"{cid} made\n"
    assert service.request("POST", f"/containers/{cid}/start")[0] == 204
    status, _, data = service.request("POST", f"/containers/{cid}/wait")
    assert json.loads(data) == {"StatusCode": 0, "Error": None}
    status, _, data = service.request("GET", "/containers/json?filters=" + '{"label":["from=api"]}')
    assert json.loads(data) == []
    status, _, data = service.request("GET", "/containers/json?all=1")
    assert [c["Names"] for c in json.loads(data)] == [["/made"]]
    assert service.request("DELETE", f"/containers/{cid}")[0] == 204
    assert service.portside("ps", "-aq").stdout == ""


def test_rename_top_prune_history(service: Service) -> None:
    binary = DOCKER_BINARIES[0] if DOCKER_BINARIES else pytest.skip("no docker CLI")
    assert (
        service.docker(binary, "run", "-d", "--name", "a1", "busybox", "sleep", "60").returncode
        == 0
    )
    assert service.docker(binary, "rename", "a1", "a2").returncode == 0
    assert "sleep 60" in service.docker(binary, "top", "a2").stdout
    assert service.docker(binary, "rm", "-f", "a2").returncode == 0
    cid = service.docker(binary, "create", "busybox", "true").stdout.strip()
    assert cid in service.docker(binary, "container", "prune", "-f").stdout
    assert service.portside("ps", "-aq").stdout == ""
    assert "Imported from -" in service.docker(binary, "history", "busybox").stdout


def test_a_body_no_handler_reads_does_not_become_the_next_request(service: Service) -> None:
    conn = UnixHTTPConnection(service.socket)
    status, _, data = service.request(
        "POST", "/containers/create", json.dumps({"Image": "busybox", "Cmd": ["true"]}).encode()
    )
    cid = json.loads(data)["Id"]
    assert service.request("POST", f"/containers/{cid}/start", b"{}", conn=conn)[0] == 204
    assert service.request("GET", "/_ping", conn=conn)[0] == 200
    conn.close()
    assert service.request("DELETE", f"/containers/{cid}?force=1")[0] == 204


def test_volumes(service: Service) -> None:
    binary = DOCKER_BINARIES[0] if DOCKER_BINARIES else pytest.skip("no docker CLI")
    assert service.docker(binary, "volume", "create", "v1").stdout == "v1\n"
    assert service.docker(binary, "volume", "ls", "-q").stdout == "v1\n"
    assert service.portside("volume", "ls", "-q").stdout == "v1\n"  # the same store
    r = service.docker(
        binary, "run", "--rm", "-v", "v1:/data", "busybox", "sh", "-c", "echo x > /data/f"
    )
    assert r.returncode == 0, r.stderr
    r = service.docker(binary, "run", "--rm", "-v", "v1:/data", "busybox", "cat", "/data/f")
    assert r.stdout == "x\n", r.stderr
    r = service.docker(binary, "create", "--name", "user", "-v", "v1:/data:ro", "busybox")
    assert r.returncode == 0, r.stderr
    r = service.docker(binary, "ps", "-a", "--filter", "volume=v1", "--format", "{{.Mounts}}")
    assert r.stdout == "v1\n", r.stderr  # the list's Mounts, as the CLI shows them
    status, _, body = service.request("GET", "/containers/json?all=1")
    [mount] = json.loads(body)[0]["Mounts"]
    assert (mount["Name"], mount["Destination"], mount["RW"]) == ("v1", "/data", False)
    assert service.docker(binary, "rm", "user").returncode == 0
    assert service.docker(binary, "volume", "rm", "v1").stdout == "v1\n"
    status, _, body = service.request("GET", "/volumes/v1")
    assert status == 404 and "no such volume" in json.loads(body)["message"]
    # -v /path comes as Config.Volumes: an anonymous volume, which rm -v removes
    cid = service.docker(binary, "create", "-v", "/anon", "busybox", "true").stdout.strip()
    assert len(service.docker(binary, "volume", "ls", "-q").stdout.split()) == 1
    assert service.docker(binary, "rm", "-v", cid).returncode == 0
    assert service.docker(binary, "volume", "ls", "-q").stdout == ""


def test_networks(service: Service) -> None:
    binary = DOCKER_BINARIES[0] if DOCKER_BINARIES else pytest.skip("no docker CLI")
    net = service.docker(binary, "network", "create", "n1")
    assert net.returncode == 0, net.stderr
    try:
        assert "n1" in service.portside("network", "ls", "--format", "{{.Name}}").stdout.split()
        # a user network's Options are the ones it was made with: none (compose compares)
        r = service.docker(binary, "network", "inspect", "n1", "--format", "{{json .Options}}")
        assert r.stdout == "{}\n", r.stderr
        r = service.docker(
            binary, "run", "-d", "--name", "c1", "--network", "n1", "busybox", "sleep", "60"
        )
        assert r.returncode == 0, r.stderr
        r = service.docker(
            binary, "run", "--rm", "--network", "n1", "busybox", "ping", "-c1", "-W2", "c1"
        )
        assert r.returncode == 0, r.stdout + r.stderr
        names = "{{range .Containers}}{{.Name}}{{end}}"
        assert (
            service.docker(binary, "network", "inspect", "n1", "--format", names).stdout == "c1\n"
        )
        assert service.docker(binary, "rm", "-f", "c1").returncode == 0
        run = ["run", "-d", "--name", "c2", "--network", "n1", "--network-alias", "web"]
        assert service.docker(binary, *run, "busybox", "sleep", "60").returncode == 0
        r = service.docker(
            binary, "run", "--rm", "--network", "n1", "busybox", "ping", "-c1", "-W2", "web"
        )
        assert r.returncode == 0, r.stdout + r.stderr  # NetworkingConfig's aliases
    finally:
        service.docker(binary, "rm", "-f", "c1", "c2")
        assert service.docker(binary, "network", "rm", "n1").returncode == 0


@pytest.mark.parametrize("binary", DOCKER_BINARIES)
def test_exec(service: Service, binary: str) -> None:
    r = service.docker(binary, "run", "-d", "--name", "e1", "busybox", "sleep", "60")
    assert r.returncode == 0, r.stderr
    r = service.docker(binary, "exec", "e1", "sh", "-c", "echo out; echo err >&2; exit 5")
    assert (r.returncode, r.stdout, r.stderr) == (5, "out\n", "err\n")
    r = service.docker(binary, "exec", "-i", "e1", "cat", input="piped\n")
    assert (r.returncode, r.stdout) == (0, "piped\n"), r.stderr
    r = service.docker(binary, "exec", "-t", "e1", "sh", "-c", "echo tty; exit 2")
    assert (r.returncode, r.stdout) == (2, "tty\n"), r.stderr  # CRLF read back as text
    assert service.docker(binary, "exec", "-d", "e1", "true").returncode == 0
    docker = pytest.importorskip("docker")
    client = docker.DockerClient(base_url=service.uri)
    try:
        assert tuple(client.containers.get("e1").exec_run("echo hi")) == (0, b"hi\n")
    finally:
        client.close()
    assert service.docker(binary, "rm", "-f", "e1").returncode == 0


def test_diff_export_commit_save_load_prune(service: Service, tmp_path: Path) -> None:
    binary = DOCKER_BINARIES[0] if DOCKER_BINARIES else pytest.skip("no docker CLI")
    r = service.docker(binary, "run", "--name", "d1", "busybox", "sh", "-c", "echo x > /made")
    assert r.returncode == 0, r.stderr
    assert "A /made" in service.docker(binary, "diff", "d1").stdout.splitlines()
    exported = tmp_path / "d1.tar"
    assert service.docker(binary, "export", "-o", str(exported), "d1").returncode == 0
    import tarfile

    with tarfile.open(exported) as tar:
        assert "made" in [m.name.lstrip("./") for m in tar.getmembers()]
    assert service.docker(binary, "commit", "d1", "committed:1").stdout.startswith("sha256:")
    assert service.docker(binary, "run", "--rm", "committed:1", "cat", "/made").stdout == "x\n"
    saved = tmp_path / "c.tar"
    assert service.docker(binary, "save", "-o", str(saved), "committed:1").returncode == 0
    assert service.docker(binary, "rm", "d1").returncode == 0
    assert service.docker(binary, "rmi", "committed:1").returncode == 0
    r = service.docker(binary, "load", "-i", str(saved))
    assert r.stdout == "Loaded image: committed:1\n", r.stderr
    assert (
        "committed:1" in service.portside("images", "--format", "{{.Repository}}:{{.Tag}}").stdout
    )
    assert service.docker(binary, "rmi", "committed:1").returncode == 0
    assert service.docker(binary, "image", "prune", "-f").returncode == 0


@pytest.mark.parametrize("binary", DOCKER_BINARIES)
def test_cp_through_the_archive_endpoints(service: Service, binary: str, tmp_path: Path) -> None:
    assert (
        service.docker(binary, "run", "-d", "--name", "cp1", "busybox", "sleep", "60").returncode
        == 0
    )
    source = tmp_path / "in.txt"
    source.write_text("hello\n")
    r = service.docker(binary, "cp", str(source), "cp1:/tmp/")
    assert r.returncode == 0, r.stderr
    assert service.docker(binary, "exec", "cp1", "cat", "/tmp/in.txt").stdout == "hello\n"
    back = tmp_path / "back.txt"
    assert service.docker(binary, "cp", "cp1:/tmp/in.txt", str(back)).returncode == 0
    assert back.read_text() == "hello\n"
    r = service.docker(binary, "cp", "cp1:/nonexist", str(tmp_path / "x"))
    assert r.returncode == 1 and "/nonexist" in r.stderr  # 20.10 words a 404 its own way
    assert service.docker(binary, "rm", "-f", "cp1").returncode == 0


def test_stats(service: Service) -> None:
    binary = DOCKER_BINARIES[0] if DOCKER_BINARIES else pytest.skip("no docker CLI")
    r = service.docker(binary, "run", "-d", "--name", "s1", "busybox", "sleep", "60")
    assert r.returncode == 0, r.stderr
    r = service.docker(binary, "stats", "--no-stream", "--format", "{{.Name}} {{.PIDs}}", "s1")
    assert (r.returncode, r.stdout) == (0, "s1 1\n"), r.stderr
    status, _, body = service.request("GET", "/containers/s1/stats?stream=0")
    assert status == 200 and json.loads(body)["memory_stats"]["usage"] > 0
    assert service.docker(binary, "rm", "-f", "s1").returncode == 0


def test_system_df_and_no_plugins(service: Service) -> None:
    binary = DOCKER_BINARIES[0] if DOCKER_BINARIES else pytest.skip("no docker CLI")
    r = service.docker(binary, "system", "df", "--format", "{{.Type}} {{.TotalCount}}")
    assert r.stdout.splitlines()[0] == "Images 1", r.stdout + r.stderr
    status, _, body = service.request("GET", "/plugins/foo/json")
    assert (status, json.loads(body)) == (404, {"message": 'plugin "foo" not found'})


def test_build(service: Service, tmp_path: Path) -> None:
    binary = DOCKER_BINARIES[0] if DOCKER_BINARIES else pytest.skip("no docker CLI")
    (tmp_path / "Dockerfile").write_text(
        # -w: the step's own hostname, a random ID, may hold "db" too
        'FROM busybox\nRUN echo built > /b && grep -w db /etc/hosts >> /b\nCMD ["cat", "/b"]\n'
    )
    env_binary = ["env", "DOCKER_BUILDKIT=0", binary]  # the classic /build, not BuildKit's
    native = {"x86_64": "amd64", "aarch64": "arm64"}.get(os.uname().machine, "")
    flags = ["--add-host", "db:10.1.2.3", "--platform", f"linux/{native}"]
    r = service.docker(*env_binary, "build", *flags, "-t", "built:1", str(tmp_path))
    assert r.returncode == 0 and "Successfully tagged built:1" in r.stdout, r.stderr
    assert service.docker(binary, "run", "--rm", "built:1").stdout == "built\n10.1.2.3\tdb\n"
    r = service.docker(*env_binary, "build", "--platform", "linux/s390x", str(tmp_path))
    assert r.returncode == 1 and "needs emulation" in r.stderr, r.stdout + r.stderr
    (tmp_path / "Dockerfile").write_text("FROM busybox\nRUN exit 7\n")
    r = service.docker(env_binary[0], *env_binary[1:], "build", str(tmp_path))
    assert r.returncode == 1 and "returned a non-zero code: 7" in r.stderr, r.stdout + r.stderr
    docker = pytest.importorskip("docker")
    client = docker.DockerClient(base_url=service.uri)
    try:
        image, _ = client.images.build(
            fileobj=io.BytesIO(b"FROM busybox\nLABEL a=b\n"), tag="me/bb"
        )
        assert image.labels == {"a": "b"} and "me/bb:latest" in image.tags
    finally:
        client.close()


def test_push_and_pull_through_a_loopback_registry(service: Service, tmp_path: Path) -> None:
    from .registries import serve

    binary = DOCKER_BINARIES[0] if DOCKER_BINARIES else pytest.skip("no docker CLI")
    with serve(tmp_path) as registry:
        name = f"{registry}/team/busybox:1"
        assert service.docker(binary, "tag", "busybox", name).returncode == 0
        r = service.docker(binary, "push", name)
        assert r.returncode == 0 and "digest: sha256:" in r.stdout, r.stdout + r.stderr
        assert service.docker(binary, "rmi", name).returncode == 0
        r = service.docker(binary, "pull", name)
        assert r.returncode == 0 and "Digest: sha256:" in r.stdout, r.stdout + r.stderr
        r = service.docker(binary, "run", "--rm", name, "echo", "pulled")
        assert r.stdout == "pulled\n", r.stderr
        r = service.docker(binary, "pull", f"{registry}/team/nothing:1")
        assert r.returncode == 1 and r.stderr, r.stdout


@pytest.mark.parametrize("binary", DOCKER_BINARIES)
def test_events_through_the_api(service: Service, binary: str) -> None:
    """GET /events: what the engine journaled, as Docker's JSON lines, for the docker
    CLI and docker-py, with since/until and filters; a bad filter is a 400."""
    docker = pytest.importorskip("docker")
    since = time.time() - 1
    r = service.docker(binary, "run", "--rm", "--name", "ev", "busybox", "sh", "-c", "exit 3")
    assert r.returncode == 3, r.stderr
    until = time.time() + 1
    shown = service.docker(
        binary,
        "events",
        "--since",
        f"{since:.9f}",
        "--until",
        f"{until:.9f}",
        "--filter",
        "container=ev",
        "--format",
        "{{.Action}} {{.Actor.Attributes.exitCode}}",
    )
    assert shown.returncode == 0, shown.stderr
    actions = [line.split()[0] for line in shown.stdout.splitlines()]
    assert actions[0] == "create", actions
    assert "die 3" in shown.stdout.splitlines() and actions[-1] == "destroy"
    client = docker.DockerClient(base_url=service.uri)
    try:
        found = list(client.events(since=since, until=until, decode=True, filters={"event": "die"}))
        assert [(e["Type"], e["Action"], e["Actor"]["Attributes"]["name"]) for e in found] == [
            ("container", "die", "ev")
        ]
        assert found[0]["Actor"]["Attributes"]["exitCode"] == "3"
    finally:
        client.close()
    status, _, body = service.request("GET", '/events?filters={"nosuch":["x"]}')
    assert status == 400 and b"nosuch" in body


def test_testcontainers_generic_container(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    """testcontainers-python 4 (its reaper off, as the issue asks): a generic container,
    waiting for its log line, and its exposed port reached from the host."""
    pytest.importorskip("testcontainers")
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.wait_strategies import LogMessageWaitStrategy

    monkeypatch.setenv("DOCKER_HOST", service.uri)
    monkeypatch.setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
    script = (
        "mkdir -p /www && echo tc-page > /www/index.html && echo ready && exec httpd -f -h /www"
    )
    container = (
        DockerContainer("busybox")
        .with_command(["sh", "-c", script])
        .with_exposed_ports(80)
        .waiting_for(LogMessageWaitStrategy("ready"))
    )
    with container:
        host = container.get_container_host_ip()
        port = container.get_exposed_port(80)
        with urllib.request.urlopen(f"http://{host}:{port}/", timeout=5) as answer:
            assert answer.read() == b"tc-page\n"
        cid = container.get_wrapped_container().id
        assert service.portside("ps", "-q", "--no-trunc").stdout.split() == [cid]
    assert service.portside("ps", "-aq").stdout == ""


@pytest.mark.parametrize("binary", DOCKER_BINARIES)
def test_docker_cli_resources_reach_the_container(service: Service, binary: str) -> None:
    r = service.docker(
        binary, "run", "--name", "lim", "--memory", "64m", "--cpus", "0.5",
        "--pids-limit", "50", "--ulimit", "nofile=100:200", "--shm-size", "8m",
        "busybox", "sh", "-c", "ulimit -n; ulimit -Hn; df -k /dev/shm | tail -1",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    soft, hard, shm = r.stdout.splitlines()
    assert (soft, hard, shm.split()[1]) == ("100", "200", "8192")
    host = json.loads(service.portside("inspect", "lim").stdout)[0]["HostConfig"]
    assert (host["Memory"], host["NanoCpus"], host["PidsLimit"]) == (64 << 20, 5 * 10**8, 50)
    r = service.docker(binary, "run", "--rm", "--memory", "1k", "busybox", "true")
    assert r.returncode == 125 and "Minimum memory limit allowed is 6MB" in r.stderr, r.stderr
    assert service.portside("ps", "-aq").stdout.split() == [_id(service, "lim")]  # no other


def _id(service: Service, name: str) -> str:
    return service.portside("inspect", "--format", "{{.Id}}", name).stdout.strip()[:12]


class Terminal:
    """A docker CLI on a pseudo-terminal of ROWS x COLS, as a user at a shell runs it."""

    def __init__(self, service: Service, binary: str, *args: str) -> None:
        import fcntl
        import struct
        import termios

        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 33, 101, 0, 0))
        config = Path(service.socket).parent / "docker-config"
        config.mkdir(exist_ok=True)
        env = {**os.environ, **OFFLINE, "DOCKER_HOST": service.uri, "DOCKER_CONFIG": str(config)}
        self.proc = subprocess.Popen(
            [binary, *args], stdin=slave, stdout=slave, stderr=slave, env=env,
            start_new_session=True,
        )  # fmt: skip
        os.close(slave)
        self.seen = b""

    def until(self, text: bytes, timeout: float = 20) -> bytes:
        import select

        deadline = time.monotonic() + timeout
        while text not in self.seen:
            left = deadline - time.monotonic()
            assert left > 0, f"{text!r} not in {self.seen!r}"
            if select.select([self.master], [], [], left)[0]:
                try:
                    self.seen += os.read(self.master, 4096)
                except OSError:  # EIO: the CLI closed its terminal
                    assert text in self.seen, f"{text!r} not in {self.seen!r}"
        return self.seen

    def type(self, text: bytes) -> None:
        os.write(self.master, text)

    def close(self) -> int:
        try:
            return self.proc.wait(timeout=20)
        finally:
            os.close(self.master)


@pytest.mark.parametrize("binary", DOCKER_BINARIES)
def test_docker_cli_it_on_a_terminal_gets_its_size(service: Service, binary: str) -> None:
    # an interactive shell: the CLI resizes the container's terminal to its own
    t = Terminal(service, binary, "run", "-it", "--name", "it1", "busybox", "sh")
    t.until(b"# ")
    t.type(b"stty size; echo $((6*7))\r")
    t.until(b"42")
    assert b"33 101" in t.seen
    t.type(b"exit 5\r")
    assert t.close() == 5
    # and an exec's terminal, in a running container
    assert (
        service.docker(binary, "run", "-d", "--name", "it2", "busybox", "sleep", "60").returncode
        == 0
    )
    t = Terminal(service, binary, "exec", "-it", "it2", "sh")
    t.until(b"# ")
    t.type(b"stty size\r")
    t.until(b"33 101")
    t.type(b"exit 3\r")
    assert t.close() == 3
    service.docker(binary, "rm", "-f", "it1", "it2")


@pytest.mark.parametrize("binary", DOCKER_BINARIES)
def test_docker_cli_attach_and_prune(service: Service, binary: str) -> None:
    r = service.docker(
        binary, "run", "-d", "--name", "a1", "busybox", "sh", "-c", "sleep 1; echo late; exit 7"
    )
    assert r.returncode == 0, r.stderr
    r = service.docker(binary, "attach", "a1")
    assert (r.returncode, r.stdout) == (7, "late\n"), r.stderr
    r = service.docker(binary, "container", "prune", "-f")
    assert r.returncode == 0 and "Total reclaimed space" in r.stdout, r.stderr
    assert service.portside("ps", "-aq").stdout == ""
    r = service.docker(binary, "system", "df", "--format", "{{.Type}} {{.TotalCount}}")
    assert r.stdout.splitlines()[:2] == ["Images 1", "Containers 0"], r.stdout + r.stderr


def test_docker_py_attach_replays_the_logs(service: Service) -> None:
    docker = pytest.importorskip("docker")
    client = docker.DockerClient(base_url=service.uri)
    try:
        c = client.containers.run("busybox", ["sh", "-c", "echo early; sleep 60"], detach=True)
        deadline = time.monotonic() + 10
        while c.logs() != b"early\n":
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert c.attach(logs=True) == b"early\n"  # the logs, then no live stream
        c.remove(force=True)
    finally:
        client.close()


def test_clients_that_leave_mid_stream_leave_nothing_behind(service: Service) -> None:
    r = service.portside("run", "-d", "--name", "quiet", "busybox", "sleep", "60")
    cid = r.stdout.strip()
    service.request("GET", "/_ping")
    before = service.threads()
    streams = [
        f"/containers/{cid}/logs?follow=1&stdout=1&stderr=1",
        "/events",
        f"/containers/{cid}/stats",
        f"/containers/{cid}/wait",
    ]
    for path in streams * 2:
        c = UnixHTTPConnection(service.socket)
        c.request("POST" if path.endswith("wait") else "GET", path)
        assert c.getresponse().status == 200
        c.close()  # gone while the stream has nothing more to say
    deadline = time.monotonic() + 15
    while service.threads() > before:
        assert time.monotonic() < deadline, f"{service.threads()} threads, {before} before"
        time.sleep(0.2)
    status, _, _ = service.request("GET", "/_ping")
    assert status == 200
    assert service.portside("inspect", "-f", "{{.State.Status}}", "quiet").stdout == "running\n"
    service.portside("rm", "-f", "quiet")


def test_docker_py_archives_sockets_networks_volumes(service: Service) -> None:
    docker = pytest.importorskip("docker")
    import tarfile

    client = docker.DockerClient(base_url=service.uri)
    try:
        vol = client.volumes.create("pyvol", labels={"k": "v"})
        net = client.networks.create("pynet", labels={"k": "v"})
        assert (vol.attrs["Labels"], net.attrs["Labels"]) == ({"k": "v"}, {"k": "v"})
        server = client.containers.run(
            "busybox", ["sleep", "60"], detach=True, name="pysrv",
            volumes={"pyvol": {"bind": "/data", "mode": "rw"}},
        )  # fmt: skip
        net.connect(server, aliases=["db"])
        # put_archive, then get_archive of what is there now
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tar:
            info = tarfile.TarInfo("hello.txt")
            info.size = 6
            tar.addfile(info, io.BytesIO(b"hello\n"))
        assert server.put_archive("/data", buf.getvalue()) is True
        chunks, stat = server.get_archive("/data/hello.txt")
        assert stat["name"] == "hello.txt" and stat["size"] == 6
        with tarfile.open(fileobj=io.BytesIO(b"".join(chunks))) as tar:
            member = tar.extractfile("hello.txt")
            assert member is not None and member.read() == b"hello\n"
        # by name on the network, the volume's file seen by another container
        out = client.containers.run(
            "busybox", ["sh", "-c", "ping -c1 -W2 db >/dev/null && cat /data/hello.txt"],
            network="pynet", volumes=["pyvol:/data:ro"], remove=True,
        )  # fmt: skip
        assert out == b"hello\n"
        # logs streamed as they come, and a socket attached to a container's stdin
        talker = client.containers.run(
            "busybox", ["sh", "-c", "for i in 1 2 3; do echo $i; sleep 0.2; done"], detach=True
        )
        assert b"".join(talker.logs(stream=True, follow=True)) == b"1\n2\n3\n"
        cat = client.containers.create("busybox", ["cat"], stdin_open=True)
        sock = cat.attach_socket(params={"stdin": 1, "stdout": 1, "stream": 1})
        cat.start()
        sock._sock.sendall(b"through the socket\n")
        sock._sock.shutdown(socket.SHUT_WR)
        got = b""
        while len(got) < 8 + 19:
            data = sock._sock.recv(4096)
            if not data:
                break
            got += data
        assert got[8:] == b"through the socket\n" and got[0] == 1  # one stdout frame
        sock.close()
        assert cat.wait(timeout=10)["StatusCode"] == 0
        for c in (server, talker, cat):
            c.remove(force=True)
        net.remove()
        vol.remove()
        assert service.portside("volume", "ls", "-q").stdout == ""
    finally:
        client.close()


def test_every_attach_held_for_a_start_gets_the_output_from_its_first_byte(
    service: Service,
) -> None:
    """One attach per stream, made before the start (as dockerpty does): each is handed
    its own connection to the container's output at the start, so none misses a byte."""
    docker = pytest.importorskip("docker")
    api = docker.APIClient(base_url=service.uri)
    try:
        c = api.create_container("busybox", ["sh", "-c", "echo out; echo err >&2; exit 4"])
        socks = [
            api.attach_socket(c["Id"], {"stdout": 1, "stream": 1}),
            api.attach_socket(c["Id"], {"stderr": 1, "stream": 1}),
        ]
        api.start(c["Id"])
        got = []
        for sock in socks:
            data = b""
            while chunk := sock._sock.recv(4096):
                data += chunk
            got.append(data)
            sock.close()
        assert got == [
            b"\x01\x00\x00\x00\x00\x00\x00\x04out\n",
            b"\x02\x00\x00\x00\x00\x00\x00\x04err\n",
        ]
        assert api.wait(c["Id"])["StatusCode"] == 4
        api.remove_container(c["Id"])
    finally:
        api.close()
