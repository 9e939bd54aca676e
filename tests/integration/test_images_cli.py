"""The image workflow through the real CLI: import, list, tag, inspect, history, rmi, prune."""

from __future__ import annotations

import gzip
import json
import os
import re
import socket
from pathlib import Path

import zstandard

from ..conftest import Portside


def test_import_prints_id_and_image_is_listed(portside: Portside, busybox: str) -> None:
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", busybox)
    out = portside("images").stdout.splitlines()
    assert re.match(r"REPOSITORY\s{3}TAG\s{7}IMAGE ID\s{7}CREATED\s+SIZE$", out[0])
    assert out[1].split()[:3] == ["busybox", "latest", busybox[7:19]]
    assert out[1].endswith("MB")


def test_import_compressed_and_stdin(portside: Portside, busybox_tar: Path, tmp_path: Path) -> None:
    raw = busybox_tar.read_bytes()
    gz = tmp_path / "r.tar.gz"
    gz.write_bytes(gzip.compress(raw, 1))
    zst = tmp_path / "r.tar.zst"
    zst.write_bytes(zstandard.ZstdCompressor().compress(raw))
    ids = {
        portside("import", str(gz), "bb:gz").stdout.strip(),
        portside("import", str(zst), "bb:zst").stdout.strip(),
        portside("import", "-", "bb:stdin", input=raw).stdout.strip(),
    }
    assert len(ids) == 3  # three images (created differs) ...
    layers = {
        json.loads(portside("image", "inspect", t).stdout)[0]["RootFS"]["Layers"][0]
        for t in ("bb:gz", "bb:zst", "bb:stdin")
    }
    assert len(layers) == 1  # ... sharing one layer, stored once
    assert len(list((portside.root / "layers").iterdir())) == 1


def test_import_changes_and_message_reach_inspect(portside: Portside, busybox_tar: Path) -> None:
    portside(
        "import",
        "-m",
        "hello",
        "-c",
        'CMD ["sh", "-c", "echo hi"]',
        "-c",
        "ENV A=1",
        "-c",
        "EXPOSE 80",
        "-c",
        "LABEL k=v",
        "-c",
        "USER nobody",
        "-c",
        "WORKDIR /app",
        "-c",
        "VOLUME /data",
        "-c",
        "STOPSIGNAL SIGQUIT",
        "-c",
        'ENTRYPOINT ["/bin/busybox"]',
        str(busybox_tar),
        "custom:1",
    )
    info = json.loads(portside("image", "inspect", "custom:1").stdout)[0]
    cfg = info["Config"]
    assert cfg["Cmd"] == ["sh", "-c", "echo hi"]
    assert cfg["Entrypoint"] == ["/bin/busybox"]
    assert cfg["Env"] == ["A=1"]
    assert cfg["ExposedPorts"] == {"80/tcp": {}}
    assert cfg["Labels"] == {"k": "v"}
    assert cfg["User"] == "nobody"
    assert cfg["WorkingDir"] == "/app"
    assert cfg["Volumes"] == {"/data": {}}
    assert cfg["StopSignal"] == "SIGQUIT"
    assert info["Comment"] == "hello"
    history = portside("history", "custom:1").stdout.splitlines()
    assert history[0].split() == ["IMAGE", "CREATED", "CREATED", "BY", "SIZE", "COMMENT"]
    assert history[1].endswith("hello")


def test_inspect_has_docker_fields_and_format(portside: Portside, busybox: str) -> None:
    info = json.loads(portside("image", "inspect", "busybox").stdout)
    assert isinstance(info, list) and len(info) == 1
    image = info[0]
    for key in (
        "Id",
        "RepoTags",
        "RepoDigests",
        "Parent",
        "Comment",
        "Created",
        "Config",
        "Architecture",
        "Os",
        "Size",
        "RootFS",
        "Metadata",
    ):
        assert key in image
    for key in ("Env", "Cmd", "Entrypoint", "WorkingDir", "Labels", "User", "Volumes"):
        assert key in image["Config"]
    assert image["Id"] == busybox
    assert image["RepoTags"] == ["busybox:latest"]
    assert image["Config"]["Cmd"] == ["sh"]
    assert image["RootFS"]["Type"] == "layers" and len(image["RootFS"]["Layers"]) == 1
    assert image["Size"] > 1_000_000
    assert (
        portside("image", "inspect", "--format", "{{.Id}} {{.Os}}", "busybox").stdout
        == f"{busybox} linux\n"
    )
    assert portside("inspect", "-f", "{{json .Config.Cmd}}", busybox[7:15]).stdout == '["sh"]\n'
    bad = portside("image", "inspect", "--format", "{{.Nope}}", "busybox", check=False)
    assert bad.returncode != 0 and "can't evaluate field Nope" in bad.stderr


def test_tag_and_rmi_untag_then_delete(portside: Portside, busybox: str) -> None:
    portside("tag", "busybox", "me/bb:1")
    portside("tag", busybox[7:14], "localhost:5000/bb")
    listing = portside("images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}").stdout.split("\n")
    assert sorted(filter(None, listing)) == sorted(
        f"{n} {busybox[7:19]}" for n in ("busybox:latest", "me/bb:1", "localhost:5000/bb:latest")
    )
    # by name: untag only, while other names remain
    out = portside("rmi", "me/bb:1").stdout
    assert out == "Untagged: me/bb:1\n"
    # by ID with names in several repositories: must be forced
    refused = portside("rmi", busybox[7:19], check=False)
    assert refused.returncode == 1
    assert "must be forced" in refused.stderr and "multiple repositories" in refused.stderr
    out = portside("rmi", "-f", busybox[7:19]).stdout
    assert "Untagged: busybox:latest" in out and "Untagged: localhost:5000/bb:latest" in out
    assert f"Deleted: {busybox}" in out
    assert portside("images", "-q").stdout == ""
    assert list((portside.root / "layers").iterdir()) == []
    assert list((portside.root / "content/blobs/sha256").iterdir()) == []


def test_rmi_several_targets_each_reported(portside: Portside, busybox: str) -> None:
    portside("tag", "busybox", "two")
    result = portside("rmi", "nosuch", "two", "busybox", check=False)
    assert result.returncode == 1
    assert "No such image: nosuch" in result.stderr
    assert "Untagged: two:latest" in result.stdout
    assert f"Deleted: {busybox}" in result.stdout


def test_prefix_lookup_and_ambiguity(portside: Portside, busybox_tar: Path) -> None:
    ids = [portside("import", str(busybox_tar)).stdout.strip() for _ in range(12)]
    hexes = [i[7:] for i in ids]
    first = hexes[0]
    unique = next(
        first[:n] for n in range(1, 65) if sum(h.startswith(first[:n]) for h in hexes) == 1
    )
    assert json.loads(portside("image", "inspect", unique).stdout)[0]["Id"] == ids[0]
    assert json.loads(portside("image", "inspect", "sha256:" + unique).stdout)[0]["Id"] == ids[0]
    shared = next((h[0] for h in hexes if sum(x[0] == h[0] for x in hexes) > 1), None)
    if shared is not None:  # 12 random IDs share a first hex digit with certainty > 99%
        result = portside("rmi", shared, check=False)
        assert result.returncode == 1 and "multiple IDs found with provided prefix" in result.stderr


def test_list_filters_and_formats(portside: Portside, busybox: str, busybox_tar: Path) -> None:
    dangling = portside("import", str(busybox_tar)).stdout.strip()
    portside("import", "-c", "LABEL tier=web", str(busybox_tar), "web:1")
    assert portside("images", "-q", "--filter", "dangling=true").stdout == dangling[7:19] + "\n"
    assert portside("images", "-q", "--no-trunc", "-f", "dangling=true").stdout == dangling + "\n"
    assert (
        portside("images", "--format", "{{.Repository}}", "-f", "reference=bus*").stdout
        == "busybox\n"
    )
    assert portside("images", "--format", "{{.Repository}}", "web").stdout == "web\n"
    assert portside("images", "--format", "{{.Tag}}", "-f", "label=tier=web").stdout == "1\n"
    table = portside("images", "--format", "table {{.Repository}}\t{{.Tag}}", "busybox").stdout
    assert table.splitlines() == ["REPOSITORY   TAG", "busybox      latest"]
    rows = [json.loads(line) for line in portside("images", "--format", "json").stdout.splitlines()]
    assert {r["Repository"] for r in rows} == {"busybox", "web", "<none>"}
    digests = portside("images", "--digests").stdout.splitlines()[0].split()
    assert digests[:3] == ["REPOSITORY", "TAG", "DIGEST"]
    bad = portside("images", "--filter", "colour=red", check=False)
    assert bad.returncode == 1 and "invalid filter 'colour'" in bad.stderr


def test_prune_dangling_then_all(portside: Portside, busybox: str, busybox_tar: Path) -> None:
    dangling = portside("import", str(busybox_tar)).stdout.strip()
    out = portside("image", "prune", "-f").stdout
    assert f"deleted: {dangling}" in out and "Total reclaimed space:" in out
    assert "busybox" in portside("images").stdout
    declined = portside("image", "prune", "-a", input=b"n\n").stdout
    assert "Are you sure you want to continue? [y/N]" in declined
    assert "busybox" in portside("images").stdout
    out = portside("image", "prune", "-a", "-f").stdout
    assert "untagged: busybox:latest" in out and f"deleted: {busybox}" in out
    assert re.search(r"Total reclaimed space: \d+(\.\d+)?MB", out)
    assert portside("images", "-q").stdout == ""


def test_version_and_info(portside: Portside, busybox: str) -> None:
    assert portside("--version").stdout.startswith("portside version ")
    assert "Version:" in portside("version").stdout
    info = json.loads(portside("info", "--format", "json").stdout)
    assert info["Images"] == 1
    assert info["DockerRootDir"] == str(portside.root)
    assert info["Driver"] == "overlay"
    assert "Images: 1" in portside("system", "info").stdout


def test_info_has_the_fields_clients_read(portside: Portside, busybox: str) -> None:
    portside("create", "--name", "idle", busybox, "true")
    info = json.loads(portside("info", "--format", "{{json .}}").stdout)
    assert info["Name"] == socket.gethostname()
    assert re.fullmatch(r"([A-Z2-7]{4}:){11}[A-Z2-7]{4}", info["ID"])  # Docker 20.10's form
    assert (portside.root / "engine-id").read_text().strip() == info["ID"]
    assert portside("info", "--format", "{{.ID}}").stdout == info["ID"] + "\n"  # stable
    counts = ["Containers", "ContainersRunning", "ContainersPaused", "ContainersStopped"]
    assert [info[k] for k in counts] == [1, 0, 0, 1] and info["Images"] == 1
    assert info["Driver"] == "overlay" and info["DriverStatus"][0][0] == "Backing Filesystem"
    assert info["KernelVersion"] == os.uname().release and info["OSType"] == "linux"
    assert info["Architecture"] == os.uname().machine and info["NCPU"] == os.cpu_count()
    assert info["MemTotal"] > 0 and info["DockerRootDir"] == str(portside.root)
    assert info["OperatingSystem"] and info["ServerVersion"]
    assert info["CgroupDriver"] == "cgroupfs" and info["CgroupVersion"] in ("1", "2")
    assert info["DefaultRuntime"] == "runc" and "runc" in info["Runtimes"]
    assert info["SecurityOptions"] == ["name=seccomp,profile=default"]
    assert info["LoggingDriver"] == info["Plugins"]["Log"][0]
    assert info["Swarm"]["LocalNodeState"] == "inactive"
    line = "{{.Name}} {{.CgroupDriver}} {{.LoggingDriver}} {{.OSType}} {{.ContainersStopped}}"
    out = portside("info", "--format", line).stdout
    assert out == f"{socket.gethostname()} cgroupfs {info['LoggingDriver']} linux 1\n"
    text = portside("info").stdout
    assert f"Name: {socket.gethostname()}\n" in text and f"ID: {info['ID']}\n" in text
