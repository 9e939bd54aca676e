"""Isolation flags for real: dropped capabilities deny, --privileged allows, a seccomp
profile of one's own is applied, and --pid/--ipc/--uts/--device/--group-add give the
container what they say."""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path

import pytest

from tests.conftest import Portside, assert_run_refused

pytestmark = pytest.mark.usefixtures("busybox")
RUN = ["run", "--rm"]


def test_capabilities_privileged_and_seccomp_profiles(portside: Portside, tmp_path: Path) -> None:
    ping = ["busybox", "ping", "-c", "1", "-W", "1", "127.0.0.1"]
    assert "1 packets received" in portside(*RUN, *ping).stdout  # NET_RAW is a default
    r = portside(*RUN, "--cap-drop", "NET_RAW", *ping, check=False)
    assert r.returncode == 1 and "permission denied" in r.stderr
    r = portside(*RUN, "--cap-drop", "ALL", "busybox", "chown", "1:1", "/tmp", check=False)
    assert r.returncode == 1 and "Operation not permitted" in r.stderr
    mount = ["busybox", "mount", "-t", "tmpfs", "none", "/tmp"]
    assert portside(*RUN, *mount, check=False).returncode != 0
    portside(*RUN, "--privileged", *mount)
    portside(*RUN, "--cap-add", "SYS_ADMIN", "--security-opt", "apparmor=unconfined", *mount)
    # the default profile denies user namespaces; unconfined and one's own profile
    unshare = ["busybox", "unshare", "-U", "true"]
    assert portside(*RUN, *unshare, check=False).returncode != 0
    portside(*RUN, "--security-opt", "seccomp=unconfined", *unshare)
    profile = tmp_path / "no-mkdir.json"
    profile.write_text(
        json.dumps(
            {
                "defaultAction": "SCMP_ACT_ALLOW",
                "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}],
            }
        )
    )
    r = portside(
        *RUN, "--security-opt", f"seccomp={profile}", "busybox", "mkdir", "/x", check=False
    )
    assert r.returncode == 1 and "Operation not permitted" in r.stderr
    portside(*RUN, "--security-opt", f"seccomp={profile}", "busybox", "touch", "/x")  # the rest
    # one's own profile is applied as written: the default's extra denials are not added
    portside(*RUN, "--security-opt", f"seccomp={profile}", *unshare)
    status = portside(
        *RUN, "--security-opt", "no-new-privileges", "busybox", "cat", "/proc/self/status"
    )
    assert "NoNewPrivs:\t1" in status.stdout


def test_pid_ipc_uts_namespaces(portside: Portside) -> None:
    own = portside(*RUN, "busybox", "ps", "-o", "pid").stdout.split()[1:]
    assert own == ["1", str(len(own))] or len(own) <= 3  # just its own processes
    host = portside(*RUN, "--pid", "host", "busybox", "ps", "-o", "pid").stdout.split()[1:]
    assert "1" in host and len(host) > 10  # the host's init and the rest
    assert (
        portside(*RUN, "--uts", "host", "busybox", "hostname").stdout.strip()
        == socket.gethostname()
    )
    mine = os.readlink("/proc/self/ns/ipc")
    assert (
        portside(*RUN, "--ipc", "host", "busybox", "readlink", "/proc/self/ns/ipc").stdout.strip()
        == mine
    )
    assert portside(*RUN, "busybox", "readlink", "/proc/self/ns/ipc").stdout.strip() != mine
    # /dev/shm: the host's with --ipc host, none with --ipc none (as Docker gives them)
    marker = Path("/dev/shm") / f"portside-test-{os.getpid()}"
    marker.write_text("host shm\n")
    try:
        seen = portside(*RUN, "--ipc", "host", "busybox", "cat", f"/dev/shm/{marker.name}")
        assert seen.stdout == "host shm\n"
        assert portside(*RUN, "busybox", "ls", "/dev/shm").stdout == ""  # its own, empty
    finally:
        marker.unlink()
    r = portside(*RUN, "--ipc", "none", "busybox", "ls", "/dev/shm", check=False)
    assert r.returncode == 1 and "No such file or directory" in r.stderr
    # container:NAME joins a running container's namespaces, and a shareable one's /dev/shm
    portside("run", "-d", "--name", "private", "busybox", "sleep", "300")
    r = portside(*RUN, "--ipc", "container:private", "busybox", "true", check=False)
    assert (r.returncode, r.stderr.strip()) == (
        125,
        "Error: container private: non-shareable IPC "
        "(hint: use IpcMode:shareable for the donor container)",
    )
    portside("rm", "-f", "private")
    portside(
        "run", "-d", "--name", "target", "--ipc", "shareable", "busybox",
        "sh", "-c", "echo shared > /dev/shm/note; exec sleep 300",
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        seen = portside(
            *RUN, "--ipc", "container:target", "busybox", "cat", "/dev/shm/note", check=False
        )
        if seen.returncode == 0:  # the note is written once the target's shell has run
            break
        time.sleep(0.1)
    assert seen.stdout == "shared\n"
    joined = portside(
        *RUN,
        "--pid",
        "container:target",
        "--ipc",
        "container:target",
        "busybox",
        "ps",
        "-o",
        "args",
    )
    assert "sleep 300" in joined.stdout
    portside("rm", "-f", "target")
    assert str(portside.root) not in Path("/proc/self/mounts").read_text()  # its /dev/shm too


def test_devices_and_group_add(portside: Portside) -> None:
    listing = portside(*RUN, "--device", "/dev/fuse", "busybox", "ls", "-l", "/dev/fuse").stdout
    st = os.stat("/dev/fuse")
    assert listing.startswith("c") and f"{os.major(st.st_rdev)}, {os.minor(st.st_rdev)}" in listing
    assert portside(*RUN, "busybox", "ls", "/dev/fuse", check=False).returncode != 0
    renamed = portside(*RUN, "--device", "/dev/fuse:/dev/myfuse:r", "busybox", "ls", "/dev/myfuse")
    assert renamed.stdout.strip() == "/dev/myfuse"
    assert (
        "groups=27,1234"
        in portside(*RUN, "--group-add", "27", "--group-add", "1234", "busybox", "id").stdout
    )


@pytest.mark.parametrize(
    ("flags", "words"),
    [
        (["--cap-add", "bogus"], 'unknown capability: "CAP_BOGUS"'),
        (["--device", "/no/such/dev"], 'adding custom device "/no/such/dev"'),
        (["--device", "/dev/fuse:/dev/f:rwx"], "invalid device mode: rwx"),
        (["--ipc", "bogus"], "invalid IPC mode: bogus"),
        (["--pid", "bogus"], "invalid PID mode: bogus"),
        (["--uts", "host", "-h", "named"], "Conflicting options: hostname and the UTS mode"),
        (["--userns", "remap"], "invalid USER mode: remap"),
    ],
)
def test_bad_isolation_flags_are_refused_with_nothing_made(
    portside: Portside, flags: list[str], words: str
) -> None:
    assert_run_refused(portside, flags, words)
