"""pull and push against the real CNCF distribution registry (Debian's docker-registry),
started on 127.0.0.1 for each test module and stopped by its PID."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from ..conftest import Portside
from .test_archives import run, tool

pytestmark = pytest.mark.usefixtures("busybox")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _serve(work: Path, extra_config: str = "") -> Iterator[str]:
    """A registry with its own storage on a free loopback port; host:port."""
    exe = shutil.which("docker-registry")
    if exe is None:
        pytest.fail("docker-registry is not installed (apt-get install docker-registry)")
    port = _free_port()
    config = work / "config.yml"
    config.write_text(
        "version: 0.1\n"
        f"storage: {{filesystem: {{rootdirectory: {work / 'data'}}}, delete: {{enabled: true}}}}\n"
        f"http: {{addr: 127.0.0.1:{port}}}\n" + extra_config
    )
    log = open(work / "log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([exe, "serve", str(config)], stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/", timeout=1):
                    break
            except urllib.error.HTTPError:
                break  # 401 with auth on: it answers
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.fail(f"the registry did not start: {(work / 'log').read_text()}")
                time.sleep(0.05)
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        log.close()


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with _serve(tmp_path_factory.mktemp("registry")) as address:
        yield address


def test_push_then_pull_into_an_empty_store(
    portside: Portside, registry: str, tmp_path: Path
) -> None:
    name = f"{registry}/team/busybox:1"
    portside("tag", "busybox", name)
    pushed = portside("push", name).stdout
    assert f"The push refers to repository [{registry}/team/busybox]" in pushed
    assert pushed.count(": Pushed") == 2  # one layer and the config
    digest = pushed.strip().splitlines()[-1].split("digest: ")[1].split()[0]
    again = portside("push", name).stdout
    assert again.count("Layer already exists") == 2 and ": Pushed" not in again

    other = Portside(tmp_path / "other-store", tmp_path / "other-run")
    pulled = other("pull", name).stdout
    assert "Pull complete" in pulled and f"Digest: {digest}" in pulled
    assert f"Status: Downloaded newer image for {name}" in pulled
    assert pulled.strip().splitlines()[-1] == name
    assert other("run", "--rm", name, "echo", "from the registry").stdout == "from the registry\n"
    assert "Image is up to date" in other("pull", name).stdout
    by_digest = other("pull", f"{registry}/team/busybox@{digest}").stdout
    assert f"Digest: {digest}" in by_digest
    repo_digests = json.loads(other("image", "inspect", name).stdout)[0]["RepoDigests"]
    assert f"{registry}/team/busybox@{digest}" in repo_digests


def test_skopeo_and_portside_read_each_others_pushes(
    portside: Portside, registry: str, tmp_path: Path
) -> None:
    name = f"{registry}/team/mine:1"
    portside("tag", "busybox", name)
    portside("push", name)
    info = json.loads(
        run(tool("skopeo"), "inspect", "--tls-verify=false", f"docker://{name}").stdout
    )
    assert info["Os"] == "linux" and len(info["Layers"]) == 1
    # skopeo pushes gzip-compressed Docker schema 2 layers: portside pulls those too
    archive = tmp_path / "bb.tar"
    portside("save", "-o", str(archive), "busybox")
    gz = f"{registry}/team/gzipped:1"
    run(
        tool("skopeo"),
        "copy",
        "-q",
        "--dest-compress",
        "--format",
        "v2s2",
        "--dest-tls-verify=false",
        f"docker-archive:{archive}",
        f"docker://{gz}",
    )
    fresh = Portside(tmp_path / "fresh-store", tmp_path / "fresh-run")
    assert "Pull complete" in fresh("pull", gz).stdout
    assert fresh("run", "--rm", gz, "true").returncode == 0


def test_run_pulls_a_missing_image_and_errors_are_one_line(
    portside: Portside, registry: str, tmp_path: Path
) -> None:
    name = f"{registry}/team/runme:1"
    portside("tag", "busybox", name)
    portside("push", name)
    fresh = Portside(tmp_path / "run-store", tmp_path / "run-run")
    r = fresh("run", "--rm", name, "echo", "ran")
    assert r.stdout == "ran\n"
    assert f"Unable to find image '{name}' locally" in r.stderr and "Pull complete" in r.stderr

    r = fresh("pull", f"{registry}/team/absent:1", check=False)
    assert r.returncode == 1
    assert f"manifest for {registry}/team/absent:1 not found: manifest unknown" in r.stderr
    r = fresh("run", "--rm", f"{registry}/team/absent:1", check=False)
    assert r.returncode == 125 and "manifest unknown" in r.stderr
    port = _free_port()  # nothing listens there
    started = time.monotonic()
    r = fresh("pull", f"127.0.0.1:{port}/x:1", check=False)
    assert r.returncode == 1 and "cannot reach the registry" in r.stderr
    assert time.monotonic() - started < 30
    assert len(r.stderr.strip().splitlines()) == 1
    assert fresh("images", "-q").stdout.count("\n") == 1  # only what was pulled


def test_pull_and_push_through_the_library(
    portside: Portside, registry: str, tmp_path: Path
) -> None:
    import portside as ps_lib

    name = f"{registry}/lib/busybox"
    with ps_lib.Client(root=portside.root, runroot=portside.runroot) as client:
        client.images.get("busybox").tag(name, "2")
        log = client.images.push(name, "2")
        assert '"status": "2: digest: sha256:' in log
    with ps_lib.Client(root=tmp_path / "lib-store", runroot=tmp_path / "lib-run") as other:
        image = other.images.pull(name, tag="2")
        assert f"{name}:2" in image.tags


def test_login_push_pull_logout_with_basic_auth(portside: Portside, tmp_path: Path) -> None:
    work = tmp_path / "auth-registry"
    work.mkdir()
    htpasswd = subprocess.run(
        ["htpasswd", "-Bbn", "alice", "s3cret"], capture_output=True, text=True, check=True
    ).stdout
    (work / "htpasswd").write_text(htpasswd)
    auth = f"auth: {{htpasswd: {{realm: basic-realm, path: {work / 'htpasswd'}}}}}\n"
    env = {"DOCKER_CONFIG": str(tmp_path / "docker-config")}
    with _serve(work, auth) as address:
        name = f"{address}/private/busybox:1"
        portside("tag", "busybox", name)
        r = portside("push", name, env=env, check=False)
        assert r.returncode == 1 and "unauthorized" in r.stderr
        r = portside(
            "login",
            "-u",
            "alice",
            "--password-stdin",
            address,
            input=b"wrong\n",
            env=env,
            check=False,
        )
        assert r.returncode == 1 and "401" in r.stderr
        assert not (tmp_path / "docker-config" / "config.json").exists()
        r = portside(
            "login", "-u", "alice", "--password-stdin", address, input=b"s3cret\n", env=env
        )
        assert r.stdout == "Login Succeeded\n"
        config = tmp_path / "docker-config" / "config.json"
        assert address in json.loads(config.read_text())["auths"]
        assert config.stat().st_mode & 0o777 == 0o600
        assert ": Pushed" in portside("push", name, env=env).stdout
        other = Portside(tmp_path / "auth-store", tmp_path / "auth-run")
        assert "Pull complete" in other("pull", name, env=env).stdout
        r = portside("logout", address, env=env)
        assert r.stdout == f"Removing login credentials for {address}\n"
        assert address not in json.loads(config.read_text()).get("auths", {})


def test_build_pulls_its_base_image(portside: Portside, registry: str, tmp_path: Path) -> None:
    base = f"{registry}/team/base:1"
    portside("tag", "busybox", base)
    portside("push", base)
    fresh = Portside(tmp_path / "build-store", tmp_path / "build-run")
    (tmp_path / "Dockerfile").write_text(f"FROM {base}\nRUN echo built > /b\n")
    out = fresh("build", "-t", "on-pulled", str(tmp_path)).stdout
    assert "Pull complete" in out and "Successfully tagged on-pulled:latest" in out
    assert fresh("run", "--rm", "on-pulled", "cat", "/b").stdout == "built\n"


def test_pull_all_tags_and_platform(portside: Portside, registry: str, tmp_path: Path) -> None:
    for tag in ("a", "b"):
        portside("tag", "busybox", f"{registry}/multi/bb:{tag}")
    pushed = portside("push", "-a", f"{registry}/multi/bb").stdout
    assert "a: digest: sha256:" in pushed and "b: digest: sha256:" in pushed
    r = portside("push", "-a", f"{registry}/multi/bb:a", check=False)
    assert r.returncode == 1 and "tag can't be used with --all-tags" in r.stderr
    fresh = Portside(tmp_path / "tags-store", tmp_path / "tags-run")
    out = fresh("pull", "-a", f"{registry}/multi/bb").stdout
    assert out.count("Pulling from multi/bb") == 2
    tags = fresh("images", "--format", "{{.Tag}}", f"{registry}/multi/bb").stdout.split()
    assert sorted(tags) == ["a", "b"]
    r = fresh("pull", "--platform", "linux/s390x", f"{registry}/multi/bb:a", check=False)
    assert r.returncode == 1 and "does not match the specified platform" in r.stderr
    r = fresh("pull", "--platform", "nonsense", f"{registry}/multi/bb:a", check=False)
    assert r.returncode == 1 and 'invalid platform "nonsense"' in r.stderr


class _FaultyProxy:
    """Forwards to the real registry, but answers the first GET of each blob with 503
    (Retry-After: 0) and cuts the second one off halfway through its body. A fake only
    for faults a healthy registry cannot be made to produce; everything else is real."""

    def __init__(self, upstream: str, corrupt: bool = False) -> None:
        import http.server
        import threading

        seen: dict[str, int] = {}
        self.log: list[str] = []
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _forward(self, method: str) -> None:
                is_blob = "/blobs/sha256:" in self.path and method == "GET"
                count = seen[self.path] = seen.get(self.path, 0) + 1
                if corrupt:
                    count = 3  # no 503 and no cut: only flipped bytes, below
                if is_blob and count == 1:
                    proxy.log.append("503")
                    self.send_response(503)
                    self.send_header("Retry-After", "0")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                req = urllib.request.Request(
                    f"http://{upstream}{self.path}",
                    method=method,
                    headers={k: v for k, v in self.headers.items() if k.lower() == "accept"},
                )
                try:
                    with urllib.request.urlopen(req, timeout=10) as r:
                        status, headers, body = r.status, dict(r.headers.items()), r.read()
                except urllib.error.HTTPError as e:
                    status, headers, body = e.code, dict(e.headers.items()), e.read()
                self.send_response(status)
                for key, value in headers.items():
                    if key.lower() not in ("connection", "transfer-encoding"):
                        self.send_header(key, value)
                self.end_headers()
                if method == "HEAD":
                    return
                if is_blob and count == 2 and len(body) > 1:
                    proxy.log.append("cut")
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                if corrupt and is_blob and len(body) > 2000:  # a layer, not the config
                    proxy.log.append("corrupt")
                    body = body[:1000] + bytes([body[1000] ^ 0xFF]) + body[1001:]
                self.wfile.write(body)

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                self._forward("GET")

            def do_HEAD(self) -> None:  # noqa: N802 - http.server's name
                self._forward("HEAD")

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.address = f"127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_a_503_and_a_cut_connection_are_retried(
    portside: Portside, registry: str, tmp_path: Path
) -> None:
    portside("tag", "busybox", f"{registry}/flaky/bb:1")
    portside("push", f"{registry}/flaky/bb:1")
    proxy = _FaultyProxy(registry)
    try:
        fresh = Portside(tmp_path / "flaky-store", tmp_path / "flaky-run")
        out = fresh("pull", f"{proxy.address}/flaky/bb:1").stdout
        assert "Retrying (1/2)" in out and "Pull complete" in out
        assert "503" in proxy.log and "cut" in proxy.log  # both faults really happened
        assert fresh("run", "--rm", f"{proxy.address}/flaky/bb:1", "true").returncode == 0
        assert list((fresh.root / "tmp").iterdir()) == []  # the cut layer left nothing
    finally:
        proxy.close()


def test_a_layer_whose_bytes_do_not_match_is_refused(
    portside: Portside, registry: str, tmp_path: Path
) -> None:
    portside("tag", "busybox", f"{registry}/bad/bb:1")
    portside("push", f"{registry}/bad/bb:1")
    proxy = _FaultyProxy(registry, corrupt=True)
    try:
        fresh = Portside(tmp_path / "bad-store", tmp_path / "bad-run")
        r = fresh("pull", f"{proxy.address}/bad/bb:1", check=False)
        assert "corrupt" in proxy.log
        assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1
        assert "sha256" in r.stderr  # which digest did not match
        assert fresh("images", "-q").stdout == ""  # nothing stored
        assert list((fresh.root / "tmp").iterdir()) == []
    finally:
        proxy.close()
