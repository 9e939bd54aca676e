"""pull and push against the real CNCF distribution registry (Debian's docker-registry),
started on 127.0.0.1 for each test module and stopped by its PID."""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

import portside as ps_lib

from ..conftest import Portside
from .registries import LoopbackServer, blob_count, free_port, serve
from .test_archives import run, tool

pytestmark = pytest.mark.usefixtures("busybox")


@pytest.fixture(scope="module")
def registry_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The module registry's folder: its config, log and storage."""
    return tmp_path_factory.mktemp("registry")


@pytest.fixture(scope="module")
def registry(registry_dir: Path) -> Iterator[str]:
    with serve(registry_dir) as address:
        yield address


def test_push_then_pull_into_an_empty_store(
    portside: Portside, registry: str, tmp_path: Path
) -> None:
    name = f"{registry}/team/busybox:1"
    portside("tag", "busybox", name)
    pushed = portside("push", name).stdout
    assert f"The push refers to repository [{registry}/team/busybox]" in pushed
    assert pushed.count(": Pushed") == 1  # the one layer; the config goes up unlisted
    digest = pushed.strip().splitlines()[-1].split("digest: ")[1].split()[0]
    again = portside("push", name).stdout
    assert again.count("Layer already exists") == 1 and ": Pushed" not in again

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
    # removing the repository's last tag takes its digest reference along, as in Docker
    removed = other("rmi", name).stdout
    assert f"Untagged: {name}\nUntagged: {registry}/team/busybox@{digest}\nDeleted: " in removed
    assert other("images", "-aq").stdout == ""


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

    with ps_lib.Client(root=tmp_path / "lib-store", runroot=tmp_path / "lib-run") as client:
        assert client.containers.run(name, "echo ran", remove=True) == b"ran\n"  # pulled
        assert name in client.images.get(name).tags

    r = fresh("pull", f"{registry}/team/absent:1", check=False)
    assert r.returncode == 1
    assert f"manifest for {registry}/team/absent:1 not found: manifest unknown" in r.stderr
    r = fresh("run", "--rm", f"{registry}/team/absent:1", check=False)
    assert r.returncode == 125 and "manifest unknown" in r.stderr
    port = free_port()  # nothing listens there
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
    with serve(work, auth) as address:
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


class _FaultyProxy(LoopbackServer):
    """Forwards to the real registry, but answers the first GET of each blob with 503
    (Retry-After: 0) and cuts the second one off halfway through its body (with
    ``corrupt``: flips a byte of each layer instead; with ``broken``: cuts every GET of
    that one blob). A fake only for faults a healthy registry cannot be made to produce;
    everything else is real."""

    def __init__(self, upstream: str, corrupt: bool = False, broken: str = "") -> None:
        import http.server

        seen: dict[str, int] = {}
        self.log: list[str] = []
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _forward(self, method: str) -> None:
                is_blob = "/blobs/sha256:" in self.path and method == "GET"
                count = seen[self.path] = seen.get(self.path, 0) + 1
                if corrupt or broken:
                    count = 3  # no 503 and no cut: only flipped bytes or the broken blob
                if broken and self.path.endswith(f"/blobs/{broken}"):
                    count = 2
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

        super().__init__(Handler)


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


def _layer_of(portside: Portside, image: str, top: bool = True) -> str:
    layers = json.loads(portside("image", "inspect", image).stdout)[0]["RootFS"]["Layers"]
    return str(layers[-1 if top else 0])


def test_a_second_image_on_the_same_base_pushes_only_its_new_layer(
    portside: Portside, registry: str, registry_dir: Path, tmp_path: Path
) -> None:
    base = f"{registry}/share/base:1"
    portside("tag", "busybox", base)
    portside("push", base)
    (tmp_path / "Dockerfile").write_text("FROM busybox\nRUN echo app > /app\n")
    portside("build", "-q", "-t", f"{registry}/share/app:1", str(tmp_path))
    before = blob_count(registry_dir)
    out = portside("push", f"{registry}/share/app:1").stdout
    assert f"{_layer_of(portside, 'busybox')[7:19]}: Mounted from share/base" in out
    assert out.count(": Pushed") == 1  # the RUN layer
    # that layer, the new config and the manifest (the registry keeps manifests as blobs)
    assert blob_count(registry_dir) == before + 3
    # the same layer into the same repository again: the registry says it has it
    again = portside("push", f"{registry}/share/app:1").stdout
    assert again.count("Layer already exists") == 2 and ": Pushed" not in again


def test_gzip_made_once_then_sent_again_in_chunks(
    portside: Portside, registry: str, tmp_path: Path
) -> None:
    import portside as ps_lib

    (tmp_path / "Dockerfile").write_text("FROM busybox\nRUN head -c 300000 /dev/urandom > /noise\n")
    name = f"{registry}/chunks/noise:1"
    portside("build", "-q", "-t", name, str(tmp_path))
    out = portside("push", name).stdout  # each layer gzipped as it streams up
    digest = out.strip().splitlines()[-1].split("digest: ")[1].split()[0]
    fresh = Portside(tmp_path / "chunk-store", tmp_path / "chunk-run")
    assert f"Digest: {digest}" in fresh("pull", name).stdout
    sums = fresh("run", "--rm", name, "wc", "-c", "/noise").stdout
    assert sums.split()[0] == "300000"

    # the gzip forms made for that push are kept: a push to another registry sends the
    # same blobs (the same manifest digest) from them, without the layers' tars at all;
    # here in 64 KiB chunks (PATCH with Content-Range, then PUT), as large blobs go
    tars = [
        next(portside.root.rglob(_layer_of(portside, name, top).removeprefix("sha256:")))
        for top in (True, False)
    ]
    for tar in tars:
        tar.rename(tar.with_suffix(".aside"))
    second = tmp_path / "second-registry"
    second.mkdir()
    try:
        with serve(second) as other:
            portside("tag", name, f"{other}/chunks/noise:1")
            with ps_lib.Client(root=portside.root, runroot=portside.runroot) as client:
                lines: list[str] = []
                again = client.engine.registry.push(
                    f"{other}/chunks/noise:1", lines.append, chunk_size=64 << 10
                )
            assert again == digest and sum(": Pushed" in line for line in lines) == 2
            # 300 kB of noise and ~1 MB of busybox in 64 KiB pieces
            assert (second / "log").read_text().count("http.request.method=PATCH") >= 15
    finally:
        for tar in tars:
            tar.with_suffix(".aside").rename(tar)


def _put(url: str, data: bytes, media_type: str = "application/octet-stream") -> None:
    """Upload as any registry client would: a blob (POST, then PUT ?digest=) or,
    for a manifests/ URL, a manifest."""
    import hashlib

    if "/manifests/" in url:
        req = urllib.request.Request(url, data, {"Content-Type": media_type}, method="PUT")
        urllib.request.urlopen(req, timeout=10).close()
        return
    start = urllib.request.Request(url + "/blobs/uploads/", b"", method="POST")
    with urllib.request.urlopen(start, timeout=10) as r:
        location = r.headers["Location"]
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    sep = "&" if "?" in location else "?"
    # (a Content-Type urllib would otherwise make a form of, which the registry parses)
    req = urllib.request.Request(
        f"{location}{sep}digest={digest}", data, {"Content-Type": media_type}, method="PUT"
    )
    urllib.request.urlopen(req, timeout=10).close()


def test_a_multi_platform_index_pulls_the_platform_asked_for(
    portside: Portside, registry: str, tmp_path: Path
) -> None:
    import hashlib
    import platform

    # busybox as amd64 (pushed by portside) and as an arm64 image made here by hand;
    # then an OCI index naming both, as multi-platform images on Docker Hub are
    portside("tag", "busybox", f"{registry}/plat/bb:host")
    portside("push", f"{registry}/plat/bb:host")
    base = f"http://{registry}/v2/plat/bb"
    accept = {"Accept": "application/vnd.oci.image.manifest.v1+json"}
    with urllib.request.urlopen(
        urllib.request.Request(f"{base}/manifests/host", headers=accept), timeout=10
    ) as r:
        host_manifest = r.read()
    manifest = json.loads(host_manifest)
    with urllib.request.urlopen(f"{base}/blobs/{manifest['config']['digest']}") as r:
        config = json.loads(r.read())
    host_arch = config["architecture"]
    other_arch = "arm64" if host_arch != "arm64" else "amd64"
    config["architecture"] = other_arch
    other_config = json.dumps(config).encode()
    _put(base, other_config)
    manifest["config"] = {
        **manifest["config"],
        "digest": "sha256:" + hashlib.sha256(other_config).hexdigest(),
        "size": len(other_config),
    }
    other_manifest = json.dumps(manifest).encode()
    oci_manifest = "application/vnd.oci.image.manifest.v1+json"
    _put(f"{base}/manifests/{other_arch}", other_manifest, oci_manifest)
    oci_index = "application/vnd.oci.image.index.v1+json"
    index = {
        "schemaVersion": 2,
        "mediaType": oci_index,
        "manifests": [
            {
                "mediaType": oci_manifest,
                "digest": "sha256:" + hashlib.sha256(body).hexdigest(),
                "size": len(body),
                "platform": {"os": "linux", "architecture": arch},
            }
            for body, arch in ((other_manifest, other_arch), (host_manifest, host_arch))
        ],
    }
    _put(f"{base}/manifests/multi", json.dumps(index).encode(), oci_index)

    fresh = Portside(tmp_path / "plat-store", tmp_path / "plat-run")
    name = f"{registry}/plat/bb:multi"

    def arch() -> str:
        return str(json.loads(fresh("image", "inspect", name).stdout)[0]["Architecture"])

    fresh("pull", "--platform", f"linux/{other_arch}", name)
    assert arch() == other_arch
    out = fresh("pull", name).stdout  # this machine's platform
    assert arch() == host_arch == {"x86_64": "amd64", "aarch64": "arm64"}[platform.machine()]
    assert "Already exists" in out  # both name the same layer
    r = fresh("pull", "--platform", "linux/s390x", name, check=False)
    assert r.returncode == 1 and "no matching manifest for linux/s390x" in r.stderr


class _BadManifests(LoopbackServer):
    """A fake registry for manifests no real registry serves: too large, not JSON, the
    wrong shape. (The CNCF registry checks what it is given, so it cannot be made to
    hold these.)"""

    def __init__(self) -> None:
        import http.server

        bodies = {
            "/v2/bad/huge/manifests/1": b"{" + b" " * (5 << 20) + b"}",
            "/v2/bad/notjson/manifests/1": b'{"schemaVersion": 2, "layers": [',
            "/v2/bad/shape/manifests/1": b'{"schemaVersion": 2, "config": {"digest": 7}}',
        }

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                body = bodies.get(self.path, b"{}" if self.path == "/v2/" else None)
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                try:
                    self.wfile.write(body or b"")
                except OSError:
                    pass  # the client stopped reading a manifest too large

        super().__init__(Handler)


def test_a_manifest_too_large_or_malformed_is_refused(portside: Portside) -> None:
    fake = _BadManifests()
    try:
        for repo, error in (
            ("huge", "larger than 4 MiB"),
            ("notjson", "manifest that is not JSON"),
            ("shape", "malformed manifest"),
        ):
            r = portside("pull", f"{fake.address}/bad/{repo}:1", check=False)
            assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1, r.stderr
            assert error in r.stderr
    finally:
        fake.close()
    assert portside("images", "-q").stdout.count("\n") == 1  # busybox, and nothing else


def test_a_failed_pull_keeps_its_complete_layers_for_the_retry(
    portside: Portside, registry: str, tmp_path: Path
) -> None:
    (tmp_path / "Dockerfile").write_text("FROM busybox\nRUN echo two > /two\n")
    name = f"{registry}/retry/two:1"
    portside("build", "-q", "-t", name, str(tmp_path))
    portside("push", name)
    with urllib.request.urlopen(
        urllib.request.Request(
            f"http://{registry}/v2/retry/two/manifests/1",
            headers={"Accept": "application/vnd.oci.image.manifest.v1+json"},
        ),
        timeout=10,
    ) as r:
        base_blob, top_blob = (d["digest"] for d in json.loads(r.read())["layers"])
    proxy = _FaultyProxy(registry, broken=top_blob)
    fresh = Portside(tmp_path / "retry-store", tmp_path / "retry-run")
    one_at_a_time = {"PORTSIDE_MAX_CONCURRENT_DOWNLOADS": "1"}  # the base layer first
    try:
        r = fresh("pull", f"{proxy.address}/retry/two:1", env=one_at_a_time, check=False)
        assert r.returncode == 1 and "download failed" in r.stderr
        assert f"{base_blob[7:19]}: Pull complete" in r.stdout
        assert fresh("images", "-q").stdout == ""
    finally:
        proxy.close()
    out = fresh("pull", name).stdout
    assert f"{base_blob[7:19]}: Already exists" in out
    assert f"{top_blob[7:19]}: Pull complete" in out
    assert fresh("run", "--rm", name, "cat", "/two").stdout == "two\n"


def test_a_terminal_gets_progress_bars_redrawn_in_place(
    portside: Portside, registry: str, tmp_path: Path
) -> None:
    from ..terminal import exit_code, read_until, spawn

    name = f"{registry}/tty/bb:1"
    portside("tag", "busybox", name)
    pid, fd = spawn(portside, "push", name)
    out = read_until(fd, b"size: ")
    assert exit_code(pid) == 0
    os.close(fd)
    assert b"Pushed" in out and b"\x1b[" in out  # lines redrawn where they stand
    fresh = Portside(tmp_path / "tty-store", tmp_path / "tty-run")
    pid, fd = spawn(fresh, "pull", name)
    out = read_until(fd, b"Status: ")
    assert exit_code(pid) == 0
    os.close(fd)
    assert b"Pull complete" in out and b"\x1b[" in out
    assert b"[=" in out and b"MB" in out  # a bar, sized: busybox's layer is 1-2 MB
