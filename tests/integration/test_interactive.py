"""-it through a real pseudo-terminal (python's pty module), and 20 runs at once."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from ..conftest import Portside

pytestmark = pytest.mark.usefixtures("busybox")


def _read_until(fd: int, marker: bytes, timeout: float = 15) -> bytes:
    """Read the terminal until ``marker``, answering cursor-position queries (ESC[6n) as a
    terminal would: busybox's line editor waits for the answer."""
    data = b""
    deadline = time.monotonic() + timeout
    while marker not in data and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            data += chunk
            for _ in range(chunk.count(b"\x1b[6n")):
                os.write(fd, b"\x1b[1;5R")
    return data


def _spawn(portside: Portside, *args: str) -> tuple[int, int]:
    """Run portside on a new pty (40 rows, 132 columns); returns (pid, master fd)."""
    import fcntl
    import struct
    import termios

    pid, fd = pty.fork()
    if pid == 0:  # the child: a terminal of a known size, then portside
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 132, 0, 0))
        os.execv(portside.argv()[0], portside.argv(*args))
    return pid, fd


def _type(fd: int, keys: bytes) -> None:
    """Type after a prompt as a person would: busybox reads the answer to its cursor query
    with one read() and drops whatever came with it, so keys must come later."""
    time.sleep(0.3)
    os.write(fd, keys)


def _exit_code(pid: int, timeout: float = 15) -> int:
    """The exit code of the portside process on the pty; a hang fails the test."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.05)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    pytest.fail(f"portside did not exit within {timeout} s")


def test_it_gives_a_real_terminal_and_the_exit_code(portside: Portside) -> None:
    pid, fd = _spawn(portside, "run", "-it", "--name", "tty", "busybox", "sh")
    try:
        _read_until(fd, b"# \x1b[6n")  # the prompt, and its cursor query answered
        _type(fd, b"stty size; tty; echo marker-$((40+2))\r")
        out = _read_until(fd, b"marker-42")
        assert b"40 132" in out  # the window size reached the container
        assert b"/dev/pts/0" in out
        _type(fd, b"exit 5\r")
        _read_until(fd, b"\x00", timeout=5)
        assert _exit_code(pid) == 5
    finally:
        os.close(fd)


def test_ctrl_d_ends_and_ctrl_p_ctrl_q_detaches(portside: Portside) -> None:
    pid, fd = _spawn(portside, "run", "-it", "--name", "eof", "busybox", "sh")
    _read_until(fd, b"# \x1b[6n")  # the prompt, and its cursor query answered
    _type(fd, b"echo ready\r")
    _read_until(fd, b"ready")
    _type(fd, b"\x04")  # ctrl-d: end of input, the shell exits 0
    _read_until(fd, b"\x00", timeout=5)
    code = _exit_code(pid)
    os.close(fd)
    assert code == 0

    pid, fd = _spawn(portside, "run", "-it", "--name", "det", "busybox", "sh")
    _read_until(fd, b"# \x1b[6n")  # the prompt, and its cursor query answered
    _type(fd, b"echo ready\r")
    _read_until(fd, b"ready")
    _type(fd, b"\x10\x11")  # ctrl-p ctrl-q
    out = _read_until(fd, b"read escape sequence", timeout=10)
    code = _exit_code(pid)
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
