"""Request bodies and registry credentials through the Engine API service: bodies of any
size streamed into the engine (load, archive PUT, build, import) in the service's
constant memory, a client that goes away mid-body, ``X-Registry-Auth`` against a real
registry with basic auth, commit's config body, and the prune filters."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import random
import socket
import struct
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import DOCKER_BINARIES, Service, UnixHTTPConnection

MIB = 1 << 20


# -- a large image made in the test, never held in memory --------------------------------
def _layer(files: int) -> Iterator[bytes]:
    """A layer's tar: ``files`` files of 1 MiB of seeded random bytes, as it is made."""
    for i in range(files):
        info = tarfile.TarInfo(f"data/f{i:04d}")
        info.size = MIB
        info.mode = 0o644
        yield info.tobuf()
        yield random.Random(i).randbytes(MIB)
    yield b"\0" * 1024


def _member(name: str, size: int) -> bytes:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = 0o644
    return info.tobuf()


def _padded(data: bytes) -> bytes:
    return data + b"\0" * (-len(data) % 512)


def _archive(files: int, tag: str) -> tuple[int, Iterator[bytes]]:
    """A docker-archive (``docker save``'s format) of one image with one layer of
    ``files`` MiB: its size and its bytes, made as they are sent."""
    digest = hashlib.sha256()
    layer_size = 0
    for piece in _layer(files):
        digest.update(piece)
        layer_size += len(piece)
    diff_id = "sha256:" + digest.hexdigest()
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "config": {"Cmd": ["/data"]},
            "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        }
    ).encode()
    config_name = hashlib.sha256(config).hexdigest() + ".json"
    manifest = json.dumps(
        [{"Config": config_name, "RepoTags": [tag], "Layers": ["layer/layer.tar"]}]
    ).encode()
    head = (
        _member("manifest.json", len(manifest))
        + _padded(manifest)
        + _member(config_name, len(config))
        + _padded(config)
        + _member("layer/layer.tar", layer_size)
    )
    tail = _padded(b"\0" * (-layer_size % 512)) + b"\0" * 1024

    def pieces() -> Iterator[bytes]:
        yield head
        yield from _layer(files)
        yield tail

    return len(head) + layer_size + len(tail), pieces()


@pytest.fixture
def client(service: Service) -> Iterator[Any]:
    """docker-py's client of the service."""
    docker = pytest.importorskip("docker")
    made = docker.DockerClient(base_url=service.uri)
    yield made
    made.close()


def service_pid(service: Service) -> int:
    """The service's PID: the peer of a connection to its socket (SO_PEERCRED)."""
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(service.socket)
        creds = s.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return int(struct.unpack("3i", creds)[0])


def peak_rss(pid: int) -> int:
    """The process's peak resident set (VmHWM), in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


def staging_left(root: Path) -> list[Path]:
    """What the store has in its work areas (ingests, layers being staged, temp files)."""
    return [
        p
        for area in ("ingest", "tmp")
        for d in root.rglob(area)
        if d.is_dir() and d.relative_to(root).parts[0] != "overlay"
        for p in d.iterdir()
    ]


def _wait_for(check: object, what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def test_a_large_load_streams_in_the_services_constant_memory(service: Service) -> None:
    pid = service_pid(service)
    conn = UnixHTTPConnection(service.socket)
    small_size, small = _archive(1, "small:1")
    conn.request("POST", "/images/load", body=b"".join(small))  # the load's code imported
    assert conn.getresponse().read().startswith(b'{"stream": "Loaded image: small:1')
    before = peak_rss(pid)
    size, pieces = _archive(200, "big:1")
    conn.timeout = 300
    conn.request(
        "POST",
        "/images/load?quiet=1",
        body=pieces,
        headers={"Content-Type": "application/x-tar", "Transfer-Encoding": "chunked"},
        encode_chunked=True,
    )
    answer = conn.getresponse()
    data = answer.read()
    assert answer.status == 200, data
    assert json.loads(data.splitlines()[0]) == {"stream": "Loaded image: big:1\n"}
    after = peak_rss(pid)
    shown = f"{before / MIB:.0f} -> {after / MIB:.0f} MiB"
    print(f"body {size / MIB:.0f} MiB; the service's peak RSS {shown}")
    # well below the body (reading it into memory first, the peak passed 400 MiB); what
    # the load adds is its bounded buffers (1 MiB reads, the blob writer's 8 behind)
    assert after < size / 3, (before, after, size)
    assert after - before < size / 8, (before, after, size)
    # the connection is kept alive and reads the next request where the body ended
    status, _, _ = service.request("GET", "/_ping", conn=conn)
    assert status == 200
    status, _, body = service.request("GET", "/images/big:1/json", conn=conn)
    assert status == 200 and json.loads(body)["Size"] >= 200 * MIB
    conn.close()
    assert staging_left(service.portside.root) == []


def test_a_client_that_goes_away_mid_body_leaves_nothing(service: Service) -> None:
    size, pieces = _archive(40, "cut:1")
    raw = socket.socket(socket.AF_UNIX)
    raw.connect(service.socket)
    raw.sendall(
        b"POST /images/load HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-tar\r\n"
        b"Content-Length: %d\r\n\r\n" % size
    )
    sent = 0
    for piece in pieces:
        raw.sendall(piece)
        sent += len(piece)
        if sent > 20 * MIB:
            break
    raw.close()  # half the body, then gone
    time.sleep(0.5)
    root = service.portside.root
    _wait_for(lambda: staging_left(root) == [], f"staged files left: {staging_left(root)}")
    status, _, body = service.request("GET", "/images/json")
    assert status == 200 and [i["RepoTags"] for i in json.loads(body)] == [["busybox:latest"]]

    # the same into a container: nothing of the tar lands there
    _create(service, "cut")
    tar = _tar_of("partial", b"x" * 4 * MIB)
    raw = socket.socket(socket.AF_UNIX)
    raw.connect(service.socket)
    raw.sendall(
        b"PUT /containers/cut/archive?path=/tmp HTTP/1.1\r\nHost: x\r\n"
        b"Content-Length: %d\r\n\r\n" % len(tar)
    )
    raw.sendall(tar[: 2 * MIB])
    raw.close()
    time.sleep(0.5)  # the service sees the end; the copy holds the store lock until then
    status, _, listing = service.request("GET", "/containers/cut/archive?path=/tmp")
    with tarfile.open(fileobj=io.BytesIO(listing)) as tf:
        assert (status, tf.getnames()) == (200, ["tmp"])  # no file, no staging folder
    assert service.request("DELETE", "/containers/cut")[0] == 204


def _create(service: Service, name: str) -> None:
    status, _, body = service.request(
        "POST", f"/containers/create?name={name}", json.dumps({"Image": "busybox"}).encode()
    )
    assert status == 201, body


def _tar_of(name: str, data: bytes) -> bytes:
    """A tar of one file."""
    tar = io.BytesIO()
    with tarfile.open(fileobj=tar, mode="w") as tf:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
    return tar.getvalue()


def test_archive_put_and_bodies_on_a_kept_alive_connection(service: Service) -> None:
    _create(service, "keep")
    tar = _tar_of("hello.txt", b"hello\n")
    conn = UnixHTTPConnection(service.socket)
    # Content-Length, then chunked, then a refused body, each followed on the connection
    conn.request("PUT", "/containers/keep/archive?path=/tmp", body=tar)
    answer = conn.getresponse()
    assert (answer.status, answer.read()) == (200, b"")
    conn.request(
        "PUT",
        "/containers/keep/archive?path=/",
        body=iter([tar[:700], tar[700:]]),
        headers={"Transfer-Encoding": "chunked"},
        encode_chunked=True,
    )
    answer = conn.getresponse()
    assert (answer.status, answer.read()) == (200, b"")
    conn.request(
        "POST",
        "/images/load",
        body=iter([b"not a tar" * 1000]),
        headers={"Transfer-Encoding": "chunked"},
        encode_chunked=True,
    )
    answer = conn.getresponse()
    assert answer.status == 400, answer.read()
    answer.read()
    for path in ("/tmp/hello.txt", "/hello.txt"):
        status, _, data = service.request("GET", f"/containers/keep/archive?path={path}", conn=conn)
        with tarfile.open(fileobj=io.BytesIO(data)) as tf:
            member = tf.extractfile("hello.txt")
            assert status == 200 and member is not None and member.read() == b"hello\n"
    conn.close()
    assert service.request("DELETE", "/containers/keep")[0] == 204


def test_a_build_context_streams_from_a_chunked_body(service: Service) -> None:
    docker = pytest.importorskip("docker")
    context = io.BytesIO()
    with tarfile.open(fileobj=context, mode="w") as tf:
        for name, data in (
            ("Dockerfile", b"FROM busybox\nCOPY big /big\nRUN wc -c /big > /size\n"),
            ("big", random.Random(7).randbytes(30 * MIB)),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    context.seek(0)
    client = docker.DockerClient(base_url=service.uri)
    try:
        image, _ = client.images.build(fileobj=context, custom_context=True, tag="ctx:1")
        out = client.containers.run("ctx:1", ["cat", "/size"], remove=True)
        assert out == f"{30 * MIB} /big\n".encode()
    finally:
        client.close()


# -- import ---------------------------------------------------------------------------------
def test_import_from_the_body(service: Service, busybox_tar: Path) -> None:
    binary = DOCKER_BINARIES[0] if DOCKER_BINARIES else pytest.skip("no docker CLI")
    r = service.docker(
        binary,
        "import",
        "--change",
        'CMD ["echo", "imported"]',
        "--change",
        "ENV WHO=api",
        "-m",
        "from the API",
        str(busybox_tar),  # the CLI sends the file as the body, fromSrc=-
        "imp:1",
    )
    assert r.returncode == 0 and r.stdout.startswith("sha256:"), r.stderr
    assert service.docker(binary, "run", "--rm", "imp:1").stdout == "imported\n"
    status, _, body = service.request("GET", "/images/imp:1/json")
    image = json.loads(body)
    assert image["Comment"] == "from the API" and "WHO=api" in image["Config"]["Env"]
    docker = pytest.importorskip("docker")
    client = docker.APIClient(base_url=service.uri)
    try:
        answer = client.import_image_from_data(
            busybox_tar.read_bytes(), repository="imp", tag="2", changes=["USER 7"]
        )
        assert json.loads(answer)["status"].startswith("sha256:")
        assert client.inspect_image("imp:2")["Config"]["User"] == "7"
        with pytest.raises(docker.errors.APIError) as refused:
            client.import_image_from_url("http://127.0.0.1:9/rootfs.tar", repository="imp")
        assert refused.value.status_code == 400 and "not supported" in str(refused.value)
    finally:
        client.close()


# -- registry logins sent with the request ------------------------------------------------------
def test_x_registry_auth_for_push_pull_and_build(service: Service, tmp_path: Path) -> None:
    """docker-py's auth_config, with no login kept anywhere: the service uses the one
    sent with the request, and a wrong one fails in Docker's words."""
    docker = pytest.importorskip("docker")
    from .registries import htpasswd_auth, serve

    work = tmp_path / "registry"
    work.mkdir()
    good = {"username": "alice", "password": "s3cret"}
    bad = {"username": "alice", "password": "wrong"}
    client = docker.DockerClient(base_url=service.uri)
    with serve(work, htpasswd_auth(work, "alice", "s3cret")) as registry:
        try:
            repo = f"{registry}/team/busybox"
            client.images.get("busybox").tag(repo, "1")
            denied = client.images.push(repo, "1", auth_config=bad)
            assert "unauthorized: authentication required" in denied, denied
            pushed = client.images.push(repo, "1", auth_config=good)
            assert "errorDetail" not in pushed and '"Digest": "sha256:' in pushed, pushed
            client.images.remove(f"{repo}:1")
            for auth in (bad, None):  # a wrong login, and none: nothing is kept
                with pytest.raises(docker.errors.APIError) as refused:
                    client.images.pull(repo, "1", auth_config=auth)
                assert "unauthorized: authentication required" in str(refused.value)
            assert (
                client.images.pull(repo, "1", auth_config=good).id
                == client.images.get("busybox").id
            )

            # a build pulls its FROM image with X-Registry-Config's login for it
            client.images.remove(f"{repo}:1")
            context = _tar_of("Dockerfile", f"FROM {repo}:1\nRUN true\n".encode())
            config = {registry: good, "https://index.docker.io/v1/": bad}
            header = base64.urlsafe_b64encode(json.dumps(config).encode()).decode()
            for headers, words in (({}, b"unauthorized"), ({"X-Registry-Config": header}, b"")):
                conn = UnixHTTPConnection(service.socket)
                conn.request("POST", "/build?t=from-private", body=context, headers=headers)
                answer = conn.getresponse()
                out = answer.read()
                conn.close()
                if words:
                    assert words in out and b"Successfully built" not in out, out
                else:
                    assert answer.status == 200 and b"Successfully built" in out, out

            # the docker CLI sends the login its own config.json keeps for the registry
            for binary in DOCKER_BINARIES:
                config_dir = Path(service.socket).parent / "docker-config"
                config_dir.mkdir(exist_ok=True)
                kept = base64.b64encode(b"alice:s3cret").decode()
                (config_dir / "config.json").write_text(
                    json.dumps({"auths": {registry: {"auth": kept}}})
                )
                r = service.docker(binary, "push", f"{repo}:1")
                assert r.returncode == 0 and "digest: sha256:" in r.stdout, r.stdout + r.stderr
                assert service.docker(binary, "rmi", f"{repo}:1").returncode == 0
                r = service.docker(binary, "pull", f"{repo}:1")
                assert r.returncode == 0 and "Digest: sha256:" in r.stdout, r.stdout + r.stderr
                (config_dir / "config.json").unlink()
                r = service.docker(binary, "pull", f"{repo}:1")
                assert r.returncode == 1 and "unauthorized" in r.stderr, r.stdout + r.stderr
        finally:
            client.close()


# -- commit's config ----------------------------------------------------------------------------
def test_commit_applies_docker_pys_config_as_docker_does(client: Any) -> None:
    container = client.containers.create(
        "busybox",
        ["sleep", "60"],
        environment=["FOO=1", "BAR=2"],
        labels={"a": "1", "b": "old"},
        working_dir="/tmp",
        user="5",
    )
    conf = {
        "Cmd": ["echo", "committed"],
        "Env": ["FOO=9"],
        "Labels": {"b": "2"},
        "ExposedPorts": {"8080/tcp": {}},
        "WorkingDir": "/work",
        "User": "7",
    }
    image = container.commit("cfg", "1", conf=conf, changes=["ENV ADDED=yes"])
    config = image.attrs["Config"]
    assert config["Cmd"] == ["echo", "committed"] and not config.get("Entrypoint")
    assert config["Env"] == ["FOO=9", "ADDED=yes", "BAR=2"]
    assert config["Labels"] == {"a": "1", "b": "2"}
    assert config["ExposedPorts"] == {"8080/tcp": {}}
    assert (config["WorkingDir"], config["User"]) == ("/work", "7")
    assert client.containers.run("cfg:1", remove=True) == b"committed\n"
    # an entrypoint given without a command: the container's command is not kept
    image = container.commit("cfg", "2", conf={"Entrypoint": ["echo", "entry"]})
    config = image.attrs["Config"]
    assert config["Entrypoint"] == ["echo", "entry"] and not config.get("Cmd")
    assert (config["WorkingDir"], config["User"]) == ("/tmp", "5")  # the container's
    # no config: the container's, as before
    assert client.api.inspect_image(container.commit("cfg", "3").id)["Config"]["Cmd"] == [
        "sleep",
        "60",
    ]
    container.remove()


# -- prune filters --------------------------------------------------------------------------------
def test_container_and_network_prune_filters(client: Any) -> None:
    import docker

    made = {
        name: client.containers.create("busybox", "true", name=name, labels=labels).id
        for name, labels in (("p1", {"team": "a"}), ("p2", {"team": "b"}), ("p3", {}))
    }
    assert client.containers.prune(filters={"until": "1h"})["ContainersDeleted"] is None
    gone = client.containers.prune(filters={"label": ["team=a"]})["ContainersDeleted"]
    assert gone == [made["p1"]]
    gone = client.containers.prune(filters={"label!": ["team"]})["ContainersDeleted"]
    assert gone == [made["p3"]]
    future = int(time.time()) + 60
    gone = client.containers.prune(filters={"until": str(future)})["ContainersDeleted"]
    assert gone == [made["p2"]]
    with pytest.raises(docker.errors.APIError) as refused:
        client.containers.prune(filters={"status": ["exited"]})
    assert refused.value.status_code == 400 and "Invalid filter 'status'" in str(refused.value)

    client.networks.create("keep-net", labels={"keep": "1"})
    client.networks.create("drop-net", labels={"drop": "1"})
    try:
        assert client.networks.prune(filters={"until": "1h"})["NetworksDeleted"] is None
        deleted = client.networks.prune(filters={"label": ["drop"]})["NetworksDeleted"]
        assert deleted == ["drop-net"]
        assert [n.name for n in client.networks.list(names=["keep-net"])] == ["keep-net"]
    finally:
        client.networks.prune(filters={"label": ["keep=1"]})
