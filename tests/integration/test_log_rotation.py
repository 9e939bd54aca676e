"""Log rotation (issue 25), as Docker's json-file driver's max-size/max-file: with real
containers, the files kept and their sizes, what ``logs`` and ``logs -f`` read across
them, the configuration's log-opts as the default, and bad values refused."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from ..conftest import OFFLINE, Portside, assert_run_refused
from .conftest import DOCKER_BINARIES, Service

# a line of 100 bytes (101 with its newline): "line 00042 xxx…"
WRITE = 'i=0; while [ $i -lt {n} ]; do printf "line %05d %s\\n" $i {pad}; i=$((i+1)); done'
PAD = "x" * 89


def writer(lines: int, before: str = "") -> list[str]:
    return ["sh", "-c", before + WRITE.format(n=lines, pad=PAD)]


def log_files(portside: Portside, name: str) -> list[Path]:
    log = Path(portside("inspect", "-f", "{{.LogPath}}", name).stdout.strip())
    return sorted(p for p in log.parent.iterdir() if re.fullmatch(r"ctr\.log(\.\d+)?", p.name))


def numbers(text: str) -> list[int]:
    return [int(line.split()[1]) for line in text.splitlines()]


def test_rotation_keeps_max_file_files_each_within_max_size(
    portside: Portside, busybox: str
) -> None:
    # 3000 lines of 101 bytes, ≈ 300 KiB (with conmon's time stamps ≈ 400 KiB)
    portside(
        "run",
        "--name",
        "rot",
        "--log-opt",
        "max-size=64k",
        "--log-opt",
        "max-file=3",
        "busybox",
        *writer(3000),
    )
    files = log_files(portside, "rot")
    assert [p.name for p in files] == ["ctr.log", "ctr.log.1", "ctr.log.2"]
    record = 36 + len("stdout F ") + 101  # the longest record: time stamp, stream, tag
    for p in files:
        assert p.stat().st_size <= 64 * 1024 + record, p
    seen = numbers(portside("logs", "rot").stdout)
    assert seen[-1] == 2999 and seen[0] > 0  # the newest, the oldest gone
    assert seen == list(range(seen[0], 3000))  # in order, nothing lost between files
    inspected = json.loads(portside("inspect", "rot").stdout)[0]["HostConfig"]["LogConfig"]
    assert inspected == {"Type": "json-file", "Config": {"max-size": "64k", "max-file": "3"}}
    tail = numbers(portside("logs", "--tail", "5", "rot").stdout)
    assert tail == [2995, 2996, 2997, 2998, 2999]


def test_max_file_1_truncates(portside: Portside, busybox: str) -> None:
    portside("run", "--name", "trunc", "--log-opt", "max-size=16k", "busybox", *writer(1000))
    files = log_files(portside, "trunc")
    assert [p.name for p in files] == ["ctr.log"]
    assert files[0].stat().st_size <= 16 * 1024
    seen = numbers(portside("logs", "trunc").stdout)
    assert seen[-1] == 999 and seen[0] > 0
    assert seen == list(range(seen[0], 1000))


def test_a_follower_keeps_following_across_rotations(portside: Portside, busybox: str) -> None:
    flags = ["--log-opt", "max-size=16k", "--log-opt", "max-file=3"]
    # the writes start after the follower: slowly enough that no kept file passes it by
    script = "sleep 1; j=0; while [ $j -lt 20 ]; do " + WRITE.format(n=50, pad=PAD)
    script = script.replace("line %05d", "line $j%03d") + "; j=$((j+1)); sleep 0.05; done"
    portside("create", "--name", "fol", *flags, "busybox", "sh", "-c", script)
    portside("start", "fol")
    followed = subprocess.run(
        portside.argv("logs", "-f", "fol"),
        capture_output=True,
        env={**os.environ, **OFFLINE},
        timeout=60,
        check=True,
    ).stdout.decode()
    got = numbers(followed)
    expected = [j * 1000 + i for j in range(20) for i in range(50)]
    assert got == expected  # every line, once, in order, across ≈ 8 rotations
    kept = numbers(portside("logs", "fol").stdout)
    assert kept == expected[-len(kept) :] and len(kept) < len(expected)
    assert len(log_files(portside, "fol")) == 3


def test_the_configurations_log_opts_apply_when_run_gives_none(
    portside: Portside, busybox: str, tmp_path: Path
) -> None:
    conf = tmp_path / "portside.conf"
    conf.write_text('[log-opts]\nmax-size = "16k"\nmax-file = "2"\n')
    portside("--config", str(conf), "run", "--name", "dflt", "busybox", *writer(1000))
    portside(
        "--config",
        str(conf),
        "run",
        "--name",
        "own",
        "--log-opt",
        "max-size=1m",
        "busybox",
        *writer(1000),
    )
    files = log_files(portside, "dflt")
    assert [p.name for p in files] == ["ctr.log", "ctr.log.1"]
    assert all(p.stat().st_size <= 16 * 1024 for p in files)
    config = json.loads(portside("inspect", "dflt").stdout)[0]["HostConfig"]["LogConfig"]
    assert config == {"Type": "json-file", "Config": {"max-size": "16k", "max-file": "2"}}
    assert numbers(portside("logs", "own").stdout) == list(range(1000))  # its own: 1m
    plain = json.loads(portside("inspect", "own").stdout)[0]["HostConfig"]["LogConfig"]
    assert plain["Config"] == {"max-size": "1m"}


@pytest.mark.parametrize(
    ("flags", "words"),
    [
        (["--log-opt", "max-size=abc"], "invalid max-size: 'abc'"),
        (["--log-opt", "max-size=1m", "--log-opt", "max-file=0"], "invalid max-file: '0'"),
        (["--log-opt", "max-file=3"], "max-file cannot be set without max-size"),
        (["--log-opt", "mode=non-blocking"], "unknown log opt 'mode'"),
        (["--log-driver", "syslog"], "no log driver named 'syslog'"),
    ],
)
def test_bad_log_options_are_refused_and_nothing_is_created(
    portside: Portside, busybox: str, flags: list[str], words: str
) -> None:
    assert_run_refused(portside, flags, words)


def test_the_api_takes_hostconfig_logconfig(service: Service) -> None:
    log_config = {"Type": "json-file", "Config": {"max-size": "16k", "max-file": "2"}}
    body = {
        "Image": "busybox",
        "Cmd": writer(1000),
        "HostConfig": {"LogConfig": log_config},
    }
    status, _, data = service.request(
        "POST", "/containers/create?name=viaapi", json.dumps(body).encode()
    )
    assert status == 201, data
    cid = json.loads(data)["Id"]
    assert service.request("POST", f"/containers/{cid}/start")[0] == 204
    service.request("POST", f"/containers/{cid}/wait")
    status, _, data = service.request("GET", f"/containers/{cid}/json")
    assert json.loads(data)["HostConfig"]["LogConfig"] == log_config
    status, _, data = service.request("GET", f"/containers/{cid}/logs?stdout=1")
    assert status == 200
    text = re.sub(rb"\x01\x00\x00\x00....", b"", data, flags=re.S).decode()
    seen = numbers(text)
    assert seen[-1] == 999 and seen == list(range(seen[0], 1000)) and seen[0] > 0
    bad = {**body, "HostConfig": {"LogConfig": {"Type": "json-file", "Config": {"max-file": "0"}}}}
    status, _, data = service.request("POST", "/containers/create", json.dumps(bad).encode())
    assert status == 400 and b"max-file" in data, data


@pytest.mark.parametrize("binary", DOCKER_BINARIES)
def test_the_docker_cli_log_opts_through_the_api(service: Service, binary: str) -> None:
    r = service.docker(
        binary,
        "run",
        "--name",
        "cli",
        "--log-opt",
        "max-size=16k",
        "--log-opt",
        "max-file=2",
        "busybox",
        *writer(1000),
    )
    assert r.returncode == 0, r.stderr
    r = service.docker(binary, "inspect", "-f", "{{json .HostConfig.LogConfig}}", "cli")
    config = json.loads(r.stdout)
    assert config == {"Type": "json-file", "Config": {"max-size": "16k", "max-file": "2"}}
    seen = numbers(service.docker(binary, "logs", "cli").stdout)
    assert seen[-1] == 999 and seen == list(range(seen[0], 1000)) and seen[0] > 0
    r = service.docker(binary, "run", "--log-opt", "max-size=abc", "busybox", "true")
    assert r.returncode == 125 and "max-size" in r.stderr, r.stderr


def test_the_library_takes_docker_pys_log_config(portside: Portside, busybox: str) -> None:
    from portside.client import DockerClient

    client = DockerClient(root=portside.root, runroot=portside.runroot)
    log_config = {"Type": "json-file", "Config": {"max-size": "16k", "max-file": "2"}}
    c = client.containers.create("busybox", writer(1000), name="lib", log_config=log_config)
    try:
        assert c.attrs["HostConfig"]["LogConfig"] == log_config
    finally:
        c.remove(force=True)


def test_a_restarted_container_rotates_on_from_its_kept_files(
    portside: Portside, busybox: str
) -> None:
    flags = ["--log-opt", "max-size=16k", "--log-opt", "max-file=3"]
    portside("run", "--name", "again", *flags, "busybox", *writer(100))
    first = log_files(portside, "again")
    assert [p.name for p in first] == ["ctr.log"]
    portside("start", "-a", "again")  # the same 100 lines again, appended
    files = log_files(portside, "again")
    assert [p.name for p in files] == ["ctr.log", "ctr.log.1"]
    assert all(p.stat().st_size <= 16 * 1024 for p in files)
    seen = numbers(portside("logs", "again").stdout)
    assert seen[-100:] == list(range(100))  # the second run whole, after what is kept
    assert seen[:-100] == list(range(100 - len(seen[:-100]), 100))


def test_a_compose_services_logging_options(
    portside: Portside, busybox: str, tmp_path: Path
) -> None:
    compose = ["compose", "-p", "lr", "-f", str(tmp_path / "compose.yaml")]
    script = WRITE.format(n=1000, pad=PAD).replace("$", "$$")
    (tmp_path / "compose.yaml").write_text(
        "services:\n  w:\n    image: busybox\n"
        f"    command: [sh, -c, '{script}']\n"
        "    logging:\n      driver: json-file\n"
        "      options: {max-size: 16k, max-file: 2}\n"
    )
    try:
        portside(*compose, "up")
        config = json.loads(portside("inspect", "lr-w-1").stdout)[0]["HostConfig"]["LogConfig"]
        assert config == {"Type": "json-file", "Config": {"max-size": "16k", "max-file": "2"}}
        assert [p.name for p in log_files(portside, "lr-w-1")] == ["ctr.log", "ctr.log.1"]
    finally:
        portside(*compose, "down", check=False)
    (tmp_path / "compose.yaml").write_text(
        "services:\n  w:\n    image: busybox\n    logging:\n      options: {max-file: 0}\n"
    )
    r = portside(*compose, "up", "-d", check=False)
    assert r.returncode != 0 and "services.w.logging: invalid max-file: '0'" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
