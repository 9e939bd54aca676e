"""Rootless networking's way out: one slirp4netns per user namespace (docs/rootless.md).

An ordinary user's bridges live in the network namespace of the pause process
(userns.py). slirp4netns, started when the first bridge comes up, gives that namespace a
``tap0`` (10.0.2.100/24, default route 10.0.2.2) backed by sockets of the host: the
containers' traffic leaves through it, masqueraded by the store's nft table as on a root
host. A published port is a ``hostfwd`` of its API socket: slirp4netns listens on the
host's port and connects to 10.0.2.100 on the same port in the namespace, where the
store's DNAT rule takes it to the container. It runs until its pause is gone.
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

from .links import NetworkSetupError

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

GUEST = "10.0.2.100"  # tap0's address in the namespace (slirp4netns --configure)
TUN = "/dev/net/tun"

Forward = tuple[str, str, int]  # (proto, host address, host port)


def ensure(runroot: Path, pause: int) -> Path:
    """slirp4netns for the pause's namespace, started when none runs; its API socket."""
    sock = running(runroot, pause)
    if sock is None:
        sock = runroot / "slirp4netns.sock"
        _start(pause, sock, runroot / "slirp4netns.pid")
    return sock


def running(runroot: Path, pause: int) -> Path | None:
    """The API socket of the slirp4netns serving the pause's namespace, if one runs; one
    left from an earlier pause (whose namespace is gone) is ended."""
    try:
        pid, holder = map(int, (runroot / "slirp4netns.pid").read_text().split())
    except (OSError, ValueError):
        return None
    if not _alive(pid):
        return None
    if holder != pause:
        os.kill(pid, 9)
        return None
    return runroot / "slirp4netns.sock"


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return b"slirp4netns" in f.read().split(b"\0", 1)[0]
    except OSError:
        return False


def _start(pause: int, sock: Path, record: Path) -> None:
    import shutil
    import subprocess

    exe = shutil.which("slirp4netns")
    if exe is None:
        raise NetworkSetupError(
            "rootless networking needs slirp4netns (apt-get install slirp4netns); "
            "--network none works without it"
        )
    if not os.access(TUN, os.R_OK | os.W_OK):
        raise NetworkSetupError(
            f"rootless networking needs {TUN}, which you cannot open: make it 0666 "
            "(a normal distribution's udev does: chmod 0666 /dev/net/tun); "
            "--network none works without it"
        )
    sock.unlink(missing_ok=True)
    ready_r, ready_w = os.pipe()
    log = sock.with_suffix(".log")
    with open(log, "wb") as err:
        proc = subprocess.Popen(
            [
                exe,
                "--configure",
                "--mtu=65520",
                "--disable-host-loopback",
                f"--api-socket={sock}",
                f"--ready-fd={ready_w}",
                str(pause),
                "tap0",
            ],
            pass_fds=(ready_w,),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,  # not ended by a terminal's ^C
        )
    os.close(ready_w)
    try:
        ready = os.read(ready_r, 1)  # "1" once tap0 is up; nothing if it died
    finally:
        os.close(ready_r)
    if not ready:
        proc.wait()
        lines = log.read_text(errors="replace").strip().splitlines()
        raise NetworkSetupError(f"slirp4netns: {lines[-1] if lines else 'failed to start'}")
    record.write_text(f"{proc.pid} {pause}")


def _call(sock: Path, request: dict[str, Any]) -> dict[str, Any]:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect(str(sock))
        s.sendall(json.dumps(request).encode())
        s.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    reply: dict[str, Any] = json.loads(answer or b"{}")
    if "error" in reply:
        error = reply["error"]
        desc = error.get("desc", error) if isinstance(error, dict) else error
        raise NetworkSetupError(f"slirp4netns: {desc}")
    return reply


def publish(sock: Path, wanted: Iterable[Forward]) -> None:
    """Make slirp4netns's host forwards exactly ``wanted``: stale ones removed first (a
    port may move from one container to another), then the missing ones added."""
    entries = _call(sock, {"execute": "list_hostfwd"}).get("entries")
    have = {(e["proto"], e["host_addr"], int(e["host_port"])): e["id"] for e in entries or ()}
    # slirp4netns forwards TCP and UDP (an SCTP port is published in the namespace only)
    want = {(p, addr or "0.0.0.0", port) for p, addr, port in wanted if p in ("tcp", "udp")}
    for key, ident in have.items():
        if key not in want:
            _call(sock, {"execute": "remove_hostfwd", "arguments": {"id": ident}})
    for proto, addr, port in sorted(want - have.keys()):
        arguments = {"proto": proto, "host_addr": addr, "host_port": port}
        arguments |= {"guest_addr": GUEST, "guest_port": port}
        _call(sock, {"execute": "add_hostfwd", "arguments": arguments})
