"""What the Engine API tests share (test_api.py, test_api_bodies.py …): a service of
its own per test on a throwaway store and socket, stopped by PID when the test ends, and
the ways to talk to it (raw HTTP on the unix socket, the docker CLI binaries)."""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import OFFLINE, Portside


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path: str) -> None:
        super().__init__("localhost", timeout=30)
        self.path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(30)
        sock.connect(self.path)
        self.sock = sock


@dataclass
class Service:
    socket: str
    portside: Portside
    pid: int = 0

    def threads(self) -> int:
        return len(os.listdir(f"/proc/{self.pid}/task"))

    @property
    def uri(self) -> str:
        return f"unix://{self.socket}"

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        conn: UnixHTTPConnection | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        c = conn or UnixHTTPConnection(self.socket)
        headers = {"Content-Type": "application/json"} if body is not None else {}
        c.request(method, path, body=body, headers=headers)
        r = c.getresponse()
        data = r.read()
        if conn is None:
            c.close()
        return r.status, dict(r.getheaders()), data

    def client_env(self) -> dict[str, str]:
        """The environment a Docker client runs in: this socket, a config of its own."""
        config = Path(self.socket).parent / "docker-config"
        config.mkdir(exist_ok=True)
        return {**os.environ, **OFFLINE, "DOCKER_HOST": self.uri, "DOCKER_CONFIG": str(config)}

    def docker(
        self, binary: str, *args: str, timeout: float = 60, input: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        env = self.client_env()
        return subprocess.run(
            [binary, *args], capture_output=True, text=True, env=env, timeout=timeout, input=input
        )


@pytest.fixture
def service(portside: Portside, busybox: str) -> Iterator[Service]:
    here = tempfile.mkdtemp(prefix="psapi")  # short: a socket path has 108 bytes at most
    sock = os.path.join(here, "docker.sock")
    env = {**os.environ, **OFFLINE, "PYTHONPATH": str(Path(__file__).parents[2] / "src")}
    proc = subprocess.Popen(
        portside.argv("system", "service", "--time", "0", f"unix://{sock}"),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 20
        while not os.path.exists(sock):
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "the service did not listen"
            time.sleep(0.05)
        yield Service(sock, portside, proc.pid)
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
        if proc.stderr:
            proc.stderr.close()
        shutil.rmtree(here, ignore_errors=True)


DOCKER_BINARIES = [
    b
    for b in dict.fromkeys(["/usr/bin/docker", shutil.which("docker") or ""])
    if b and os.path.exists(b)
]


@pytest.fixture
def http_files(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A folder served over HTTP on 127.0.0.1 while the test runs: (the folder, its
    URL, without a trailing slash)."""
    import functools
    import http.server
    import threading

    served = tmp_path / "served"
    served.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *a: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield served, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
