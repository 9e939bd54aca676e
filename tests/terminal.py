"""Driving portside on a real pseudo-terminal (python's pty module), as a person would."""

from __future__ import annotations

import os
import pty
import select
import time

import pytest

from .conftest import Portside


def read_until(fd: int, marker: bytes, timeout: float = 15) -> bytes:
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


def spawn(portside: Portside, *args: str) -> tuple[int, int]:
    """Run portside on a new pty (40 rows, 132 columns); returns (pid, master fd)."""
    import fcntl
    import struct
    import termios

    pid, fd = pty.fork()
    if pid == 0:  # the child: a terminal of a known size, then portside
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 132, 0, 0))
        os.execv(portside.argv()[0], portside.argv(*args))
    return pid, fd


def type_keys(fd: int, keys: bytes) -> None:
    """Type after a prompt as a person would: busybox reads the answer to its cursor query
    with one read() and drops whatever came with it, so keys must come later."""
    time.sleep(0.3)
    os.write(fd, keys)


def exit_code(pid: int, timeout: float = 15) -> int:
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
