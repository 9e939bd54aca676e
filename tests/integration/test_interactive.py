"""-it through a real pseudo-terminal (python's pty module), and 20 runs at once."""

from __future__ import annotations

import os
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from ..conftest import Portside
from ..terminal import exit_code, read_until, spawn, type_keys

pytestmark = pytest.mark.usefixtures("busybox")


def test_it_gives_a_real_terminal_and_the_exit_code(portside: Portside) -> None:
    pid, fd = spawn(portside, "run", "-it", "--name", "tty", "busybox", "sh")
    try:
        read_until(fd, b"# \x1b[6n")  # the prompt, and its cursor query answered
        type_keys(fd, b"stty size; tty; echo marker-$((40+2))\r")
        out = read_until(fd, b"marker-42")
        assert b"40 132" in out  # the window size reached the container
        assert b"/dev/pts/0" in out
        type_keys(fd, b"exit 5\r")
        read_until(fd, b"\x00", timeout=5)
        assert exit_code(pid) == 5
    finally:
        os.close(fd)


def test_ctrl_d_ends_and_ctrl_p_ctrl_q_detaches(portside: Portside) -> None:
    pid, fd = spawn(portside, "run", "-it", "--name", "eof", "busybox", "sh")
    read_until(fd, b"# \x1b[6n")  # the prompt, and its cursor query answered
    type_keys(fd, b"echo ready\r")
    read_until(fd, b"ready")
    type_keys(fd, b"\x04")  # ctrl-d: end of input, the shell exits 0
    read_until(fd, b"\x00", timeout=5)
    code = exit_code(pid)
    os.close(fd)
    assert code == 0

    pid, fd = spawn(portside, "run", "-it", "--name", "det", "busybox", "sh")
    read_until(fd, b"# \x1b[6n")  # the prompt, and its cursor query answered
    type_keys(fd, b"echo ready\r")
    read_until(fd, b"ready")
    type_keys(fd, b"\x10\x11")  # ctrl-p ctrl-q
    out = read_until(fd, b"read escape sequence", timeout=10)
    code = exit_code(pid)
    os.close(fd)
    assert b"read escape sequence" in out
    assert code == 0
    assert portside("inspect", "-f", "{{.State.Status}}", "det").stdout == "running\n"


def test_interactive_without_tty_pipes_stdin(portside: Portside) -> None:
    r = portside(
        "run",
        "-i",
        "--rm",
        "busybox",
        "sh",
        "-c",
        "tr a-z A-Z; exit 7",
        input=b"hello stdin\n",
        check=False,
    )
    assert r.returncode == 7 and r.stdout == "HELLO STDIN\n"


def test_sigterm_to_attached_run_reaches_the_container(portside: Portside) -> None:
    proc = subprocess.Popen(
        portside.argv(
            "run",
            "--name",
            "sig",
            "busybox",
            "sh",
            "-c",
            "trap 'echo got-term; exit 3' TERM; echo up; while true; do sleep 0.1; done",
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline() == b"up\n"
    proc.terminate()
    out, _ = proc.communicate(timeout=15)
    assert out == b"got-term\n"
    assert proc.returncode == 3


def test_twenty_runs_at_once_leave_nothing_behind(portside: Portside) -> None:
    def one(i: int) -> tuple[int, str]:
        r = portside("run", "--rm", "busybox", "sh", "-c", f"echo n{i}; exit {i}", check=False)
        return r.returncode, r.stdout

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(one, range(20)))
    assert results == [(i, f"n{i}\n") for i in range(20)]
    deadline = time.time() + 15
    while portside("ps", "-aq").stdout and time.time() < deadline:
        time.sleep(0.1)
    assert portside("ps", "-aq").stdout == ""
    assert list((portside.root / "containers").iterdir()) == []
    mounts = Path("/proc/self/mounts").read_text()
    assert str(portside.root) not in mounts
    runc_state = portside.runroot / "runc"
    assert not runc_state.exists() or list(runc_state.iterdir()) == []
    leftover = subprocess.run(
        ["pgrep", "-f", str(portside.runroot)], capture_output=True, text=True
    )
    assert leftover.stdout == ""  # no conmon (or anything else) of this store still running
