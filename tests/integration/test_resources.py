"""Resource limits enforced by the kernel for real: a memory hog is OOM-killed and
reported, a fork bomb stops at --pids-limit, --cpus caps the CPU time a busy loop
gets (and ``update`` changes it while it runs), and ``stats`` shows the usage."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

import portside as ps_lib
from tests.conftest import Portside, assert_run_refused

pytestmark = pytest.mark.usefixtures("busybox")
BUSY = ["busybox", "sh", "-c", "while :; do :; done"]


def _inspect(portside: Portside, ref: str) -> dict:  # type: ignore[type-arg]
    return json.loads(portside("inspect", ref).stdout)[0]  # type: ignore[no-any-return]


def _cpu_seconds(pid: int, wall: float) -> float:
    """CPU time process ``pid`` uses in ``wall`` seconds (user + system)."""

    def ticks() -> int:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])

    before = ticks()
    time.sleep(wall)
    return (ticks() - before) / os.sysconf("SC_CLK_TCK")


def test_a_memory_hog_is_oom_killed_and_reported(portside: Portside) -> None:
    r = portside(
        "run", "--name", "hog", "-m", "16m", "--memory-swap", "16m",
        "busybox", "sh", "-c", "head -c 200m /dev/zero | tail > /dev/null",
        check=False,
    )  # fmt: skip
    assert r.returncode == 137
    state = _inspect(portside, "hog")["State"]
    assert state["OOMKilled"] is True and state["ExitCode"] == 137
    assert not Path("oom").exists()  # conmon's note stays in the container's folder
    host = _inspect(portside, "hog")["HostConfig"]
    assert host["Memory"] == 16 << 20 and host["MemorySwap"] == 16 << 20
    # the same work with room to spare is not killed, and says so
    portside(
        "run",
        "--name",
        "fits",
        "-m",
        "512m",
        "busybox",
        "sh",
        "-c",
        "head -c 20m /dev/zero | tail > /dev/null",
    )
    assert _inspect(portside, "fits")["State"]["OOMKilled"] is False


def test_pids_limit_stops_a_fork_bomb(portside: Portside) -> None:
    r = portside(
        "run", "--rm", "--pids-limit", "8", "busybox", "sh", "-c",
        "for i in $(seq 20); do sleep 2 & done; wait",
        check=False,
    )  # fmt: skip
    assert "can't fork" in r.stderr
    assert (
        "can't fork" not in portside("run", "--rm", "busybox", "sh", "-c", "sleep 0 & wait").stderr
    )


def test_cpus_caps_cpu_time_and_update_changes_it_while_running(portside: Portside) -> None:
    capped = portside("run", "-d", "--cpus", "0.5", *BUSY).stdout.strip()
    free = portside("run", "-d", *BUSY).stdout.strip()
    try:
        capped_pid = _inspect(portside, capped)["State"]["Pid"]
        free_pid = _inspect(portside, free)["State"]["Pid"]
        assert _cpu_seconds(capped_pid, 2.0) < 1.3  # half a CPU: about 1 s in 2 s
        assert _cpu_seconds(free_pid, 2.0) > 1.0  # with the other one capped, more
        portside("update", "--cpus", "0.2", "--memory", "64m", capped)
        assert _cpu_seconds(capped_pid, 2.0) < 0.65  # about 0.4 s
        host = _inspect(portside, capped)["HostConfig"]
        assert host["NanoCpus"] == 200_000_000 and host["Memory"] == 64 << 20
        line = portside(
            "stats",
            "--no-stream",
            "--format",
            "{{.Name}}|{{.CPUPerc}}|{{.MemUsage}}|{{.PIDs}}",
            capped,
        ).stdout.strip()
        name, cpu, memory, pids = line.split("|")
        assert name == _inspect(portside, capped)["Name"].lstrip("/")
        assert 5.0 < float(cpu.rstrip("%")) < 35.0 and memory.endswith("/ 64MiB") and pids == "1"
        table = portside("stats", "--no-stream").stdout.splitlines()
        assert table[0].split() == [
            "CONTAINER", "ID", "NAME", "CPU", "%", "MEM", "USAGE", "/", "LIMIT",
            "MEM", "%", "NET", "I/O", "BLOCK", "I/O", "PIDS",
        ]  # fmt: skip
        assert len(table) == 3
        r = portside("update", capped, check=False)
        assert r.returncode == 1 and "you must provide one or more flags" in r.stderr
    finally:
        portside("rm", "-f", capped, free)


def test_ulimit_and_shm_size(portside: Portside) -> None:
    out = portside(
        "run", "--rm", "--ulimit", "nofile=100:200", "--shm-size", "8m", "busybox",
        "sh", "-c", "ulimit -n; ulimit -Hn; df -k /dev/shm | tail -1",
    ).stdout.splitlines()  # fmt: skip
    assert out[:2] == ["100", "200"] and out[2].split()[1] == "8192"


@pytest.mark.parametrize(
    ("flags", "words"),
    [
        (["-m", "1k"], "Minimum memory limit allowed is 6MB"),
        (["-m", "lots"], "invalid size: 'lots'"),
        (["--memory-swap", "1g"], "You should always set the Memory limit when using Memoryswap"),
        (["-m", "64m", "--memory-swap", "32m"], "Minimum memoryswap limit should be larger"),
        (["--cpus", "99"], "Range of CPUs is from 0.01 to"),
        (["--cpuset-cpus", "0-99"], "Requested CPUs are not available - requested 0-99"),
        (["--ulimit", "bogus=1"], "invalid ulimit type: bogus"),
        (["--ulimit", "nofile=10:5"], "ulimit soft limit must be less than or equal to hard limit"),
    ],
)
def test_impossible_limits_are_refused_with_nothing_made(
    portside: Portside, flags: list[str], words: str
) -> None:
    assert_run_refused(portside, flags, words)


def test_limits_through_the_library(portside: Portside) -> None:
    with ps_lib.Client(root=portside.root, runroot=portside.runroot) as client:
        c = client.containers.run(
            "busybox",
            ["sleep", "60"],
            detach=True,
            mem_limit="64m",
            pids_limit=20,
            nano_cpus=500_000_000,
        )
        try:
            host = c.attrs["HostConfig"]
            assert (host["Memory"], host["PidsLimit"], host["NanoCpus"]) == (
                64 << 20,
                20,
                5 * 10**8,
            )
            c.update(mem_limit="32m")
            assert c.attrs["HostConfig"]["Memory"] == 32 << 20
        finally:
            c.remove(force=True)
