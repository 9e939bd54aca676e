"""Containers through ``import portside``, named as docker-py names them."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import portside as ps_lib

from ..conftest import Portside

pytestmark = pytest.mark.usefixtures("busybox")


@pytest.fixture
def client(portside: Portside) -> Iterator[ps_lib.Client]:
    with ps_lib.Client(root=portside.root, runroot=portside.runroot) as c:
        yield c


def test_run_attached_returns_output_or_raises(client: ps_lib.Client, portside: Portside) -> None:
    assert client.containers.run("busybox", "echo hello", remove=True) == b"hello\n"
    out = client.containers.run(
        "busybox", ["sh", "-c", "echo out; echo err >&2"], stderr=True, remove=True
    )
    assert out == b"out\nerr\n"
    with pytest.raises(ps_lib.ContainerError) as caught:
        client.containers.run("busybox", ["sh", "-c", "echo bad >&2; exit 3"], remove=True)
    assert caught.value.exit_status == 3 and caught.value.stderr == b"bad\n"
    assert client.containers.list(all=True) == []  # remove=True removed them all
    with pytest.raises(ps_lib.ImageNotFound):
        client.containers.create("nosuchimage", "true")  # create never pulls, as docker-py's
    with pytest.raises(ps_lib.PortsideError, match="cannot reach the registry"):
        client.containers.run("127.0.0.1:1/nosuchimage", "true")  # run pulls what is missing
    with pytest.raises(TypeError):
        client.containers.run("busybox", "true", no_such_option=1)


def test_detached_container_object(client: ps_lib.Client, portside: Portside) -> None:
    c = client.containers.run(
        "busybox", "sleep 300", detach=True, name="lib", environment={"K": "v"}, labels={"a": "b"}
    )
    assert c.status == "running" and c.name == "lib" and c.labels == {"a": "b"}
    assert c in client.containers.list() and client.containers.get("lib") == c
    assert client.containers.list(filters={"label": "a=b"}) == [c]
    assert client.containers.list(filters={"name": "nomatch"}) == []
    result = c.exec_run("sh -c 'echo $K; exit 2'")
    assert result.exit_code == 2 and result.output == b"v\n"
    assert c.exec_run(["sh", "-c", "echo o; echo e >&2"], demux=True).output == (b"o\n", b"e\n")
    assert c.top()["Processes"][0][-1] == "sleep 300"
    assert portside("ps", "-q").stdout.strip() == c.short_id  # the CLI sees the same store
    c.stop(timeout=1)
    assert c.status == "exited"
    assert c.wait()["StatusCode"] == 137 or c.wait()["StatusCode"] == 143
    c.remove()
    with pytest.raises(ps_lib.ContainerNotFound):
        client.containers.get("lib")


def test_logs_files_and_commit(client: ps_lib.Client) -> None:
    c = client.containers.create("busybox", ["sh", "-c", "echo one; echo two >&2; echo x > /f"])
    assert c.status == "created"
    c.start()
    assert c.wait() == {"StatusCode": 0, "Error": None}
    assert c.logs() == b"one\ntwo\n"
    assert c.logs(stderr=False) == b"one\n"
    assert b"".join(c.logs(stream=True)) == b"one\ntwo\n"
    assert {"Path": "/f", "Kind": 1} in c.diff()
    chunks, stat = c.get_archive("/f")
    with tarfile.open(fileobj=io.BytesIO(b"".join(chunks))) as tf:
        member = tf.extractfile("f")
        assert member is not None and member.read() == b"x\n"
    assert stat["name"] == "f"
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        info = tarfile.TarInfo("put.txt")
        info.size = 3
        tf.addfile(info, io.BytesIO(b"put"))
    assert c.put_archive("/", buf.getvalue()) is True
    image = c.commit("committed", "lib", changes=['CMD ["cat", "/put.txt"]'])
    assert "committed:lib" in image.tags
    assert client.containers.run("committed:lib", remove=True) == b"put"


def test_build_through_the_library(client: ps_lib.Client, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM busybox\nARG V=1\nRUN echo $V > /v\n")
    image, log = client.images.build(path=str(tmp_path), tag="libbuilt:1", buildargs={"V": "7"})
    assert "libbuilt:1" in image.tags
    assert any("Successfully built" in entry["stream"] for entry in log)
    assert client.containers.run("libbuilt:1", "cat /v", remove=True) == b"7\n"
    (tmp_path / "Dockerfile").write_text("FROM busybox\nRUN exit 4\n")
    with pytest.raises(ps_lib.DockerfileError) as caught:
        client.images.build(path=str(tmp_path))
    assert "returned a non-zero code: 4" in str(caught.value)


def test_get_archive_stat_as_docker_gives_it(client: ps_lib.Client) -> None:
    c = client.containers.create(
        "busybox", ["sh", "-c", "echo x > /f && chmod 640 /f && mkdir /d && ln -s /d/../f /l"]
    )
    c.start()
    assert c.wait()["StatusCode"] == 0
    _, stat = c.get_archive("/f")
    assert stat["name"] == "f" and stat["size"] == 2 and stat["mode"] == 0o640
    assert stat["linkTarget"] == "" and stat["mtime"].startswith("20")
    assert stat["mtime"].endswith("Z")
    _, stat = c.get_archive("/d")
    assert stat["name"] == "d" and stat["mode"] == 1 << 31 | 0o755
    chunks, stat = c.get_archive("/l", chunk_size=512)  # the link itself, and where it leads
    assert stat["name"] == "l" and stat["mode"] == 1 << 27 | 0o777
    assert stat["linkTarget"] == "/f"
    parts = list(chunks)
    assert len(parts) > 1 and {len(p) for p in parts[:-1]} == {512}
    with tarfile.open(fileobj=io.BytesIO(b"".join(parts))) as tf:
        assert tf.getmember("l").issym()
    tar, _ = c.get_archive("/f")
    assert c.put_archive("/d", io.BytesIO(b"".join(tar))) is True  # a stream, as docker-py's
    assert c.get_archive("/d/f")[1]["size"] == 2
    c.remove()


def test_build_from_a_file_object(client: ps_lib.Client) -> None:
    dockerfile = io.BytesIO(b"FROM busybox\nRUN echo streamed > /s\n")
    image, _ = client.images.build(fileobj=dockerfile, tag="libstream:1")
    assert "libstream:1" in image.tags
    assert client.containers.run("libstream:1", "cat /s", remove=True) == b"streamed\n"
    context = io.BytesIO()  # a whole context, as docker-py's custom_context sends one
    with tarfile.open(fileobj=context, mode="w:gz") as tf:
        for name, data in (("build/Containerfile", b"FROM busybox\nCOPY a /a\n"), ("a", b"A")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    context.seek(0)
    image, _ = client.images.build(
        fileobj=context, custom_context=True, encoding="gzip", dockerfile="build/Containerfile"
    )
    assert client.containers.run(image.id, "cat /a", remove=True) == b"A"
    with pytest.raises(TypeError):
        client.images.build(tag="x")


def test_networks_and_ports_through_the_library(client: ps_lib.Client) -> None:
    from tests.integration.registries import free_port, http_get

    net = client.networks.create("libnet", ipam={"Config": [{"Subnet": "10.124.3.0/24"}]})
    assert net.attrs["IPAM"]["Config"] == [{"Subnet": "10.124.3.0/24", "Gateway": "10.124.3.1"}]
    assert "libnet" in [n.name for n in client.networks.list()]
    port = free_port()
    script = "mkdir /www && echo lib > /www/index.html && exec httpd -f -p 80 -h /www"
    c = client.containers.run(
        "busybox", ["sh", "-c", script], detach=True, network="libnet", ports={"80/tcp": port}
    )
    try:
        assert http_get(f"http://127.0.0.1:{port}/") == "lib\n"
        net.reload()
        assert net.containers == [c.id]
        # a second container joins the network while it runs, and finds the first by name
        other = client.containers.run("busybox", ["sleep", "60"], detach=True)
        try:
            net.connect(other, aliases=["second"])
            net.reload()
            assert sorted(net.containers) == sorted([c.id, other.id])
            hosts = other.exec_run(["cat", "/etc/hosts"]).output.decode()
            assert f"{c.name} {c.id[:12]}" in hosts
            net.disconnect(other.id)
            net.reload()
            assert net.containers == [c.id]
        finally:
            other.remove(force=True)
    finally:
        c.remove(force=True)
    net.remove()
    assert "libnet" not in [n.name for n in client.networks.list()]
