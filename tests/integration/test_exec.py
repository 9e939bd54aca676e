"""exec into running containers: output, exit codes, options, stdin and terminals."""

from __future__ import annotations

import os
import time

import pytest

from ..conftest import Portside
from ..terminal import exit_code, read_until, spawn, type_keys

pytestmark = pytest.mark.usefixtures("busybox")


@pytest.fixture
def running(portside: Portside) -> str:
    portside("run", "-d", "--name", "box", "-e", "FROM_RUN=1", "busybox", "sleep", "300")
    return "box"


def test_output_and_exit_codes(portside: Portside, running: str) -> None:
    r = portside("exec", running, "sh", "-c", "echo out; echo err >&2; exit 4", check=False)
    assert (r.returncode, r.stdout, r.stderr) == (4, "out\n", "err\n")
    r = portside("exec", running, "nosuchcommand", check=False)
    assert r.returncode == 127 and "nosuchcommand" in r.stderr
    r = portside("exec", running, "/etc/passwd", check=False)
    assert r.returncode == 126 and "permission denied" in r.stderr
    r = portside("exec", "nosuchcontainer", "true", check=False)
    assert r.returncode == 1 and "No such container: nosuchcontainer" in r.stderr
    assert portside("exec", running, check=False).returncode == 1  # no command
    bundle = next((portside.root / "containers").iterdir()) / "bundle"
    assert not list(bundle.glob("exec-*"))  # runc's process and log files are gone


def test_not_running_or_paused_is_refused(portside: Portside) -> None:
    portside("create", "--name", "idle", "busybox", "sleep", "300")
    r = portside("exec", "idle", "true", check=False)
    assert r.returncode == 1 and "is not running" in r.stderr
    portside("start", "idle")
    portside("pause", "idle")
    r = portside("exec", "idle", "true", check=False)
    assert r.returncode == 1 and "is paused" in r.stderr
    portside("unpause", "idle")
    assert portside("exec", "idle", "true").returncode == 0


def test_environment_user_and_workdir(portside: Portside, running: str) -> None:
    r = portside("exec", running, "sh", "-c", 'echo "$FROM_RUN $PATH"')
    assert r.stdout.startswith("1 /usr/local/sbin:")  # the container's own environment
    r = portside(
        "exec", "-e", "FROM_RUN=2", "-e", "EXTRA=x", running, "sh", "-c", "echo $FROM_RUN$EXTRA"
    )
    assert r.stdout == "2x\n"
    assert portside("exec", "-w", "/etc", running, "pwd").stdout == "/etc\n"
    assert portside("exec", "-u", "65534:65534", running, "id", "-u").stdout == "65534\n"
    assert portside("exec", "-u", "nobody", running, "id", "-un").stdout == "nobody\n"
    assert portside("exec", running, "id", "-u").stdout == "0\n"
    r = portside("exec", "-u", "nosuchuser", running, "true", check=False)
    assert r.returncode != 0 and "nosuchuser" in r.stderr


def test_interactive_stdin_and_detached(portside: Portside, running: str) -> None:
    r = portside("exec", "-i", running, "tr", "a-z", "A-Z", input=b"piped in\n")
    assert r.stdout == "PIPED IN\n"
    r = portside("exec", running, "cat", input=b"not forwarded without -i\n")
    assert r.stdout == ""
    portside("exec", "-d", running, "sh", "-c", "sleep 0.2; echo later > /tmp/mark")
    deadline = time.monotonic() + 10
    while portside("exec", running, "cat", "/tmp/mark", check=False).stdout != "later\n":
        assert time.monotonic() < deadline, "the detached exec never wrote its file"
        time.sleep(0.1)


def test_tty_without_a_terminal_here(portside: Portside, running: str) -> None:
    r = portside("exec", "-t", running, "sh", "-c", "tty; exit 3", check=False)
    assert r.returncode == 3
    assert r.stdout_bytes == b"/dev/pts/0\r\n"  # a terminal's line endings, as with Docker
    r = portside("exec", "-it", running, "sh", input=b"exit\n", check=False)
    assert r.returncode == 1 and "the input device is not a TTY" in r.stderr


def test_interactive_terminal(portside: Portside, running: str) -> None:
    pid, fd = spawn(portside, "exec", "-it", running, "sh")
    try:
        read_until(fd, b"# \x1b[6n")  # the prompt, and its cursor query answered
        type_keys(fd, b"stty size; echo $TERM; echo marker-$((40+2))\r")
        out = read_until(fd, b"marker-42")
        assert b"40 132" in out  # the window size reached the exec's terminal
        assert b"xterm" in out
        type_keys(fd, b"exit 9\r")
        read_until(fd, b"\x00", timeout=5)
        assert exit_code(pid) == 9
    finally:
        os.close(fd)
