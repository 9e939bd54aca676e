"""The tests' registries: the real CNCF distribution registry (Debian's docker-registry),
each with its own config and storage, on a free 127.0.0.1 port, stopped by its PID; and
what they need around them (a CA and certificates from openssl)."""

from __future__ import annotations

import http.server
import shutil
import socket
import ssl
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


class LoopbackServer:
    """An http.server on a free 127.0.0.1 port, served from a thread: the base of the
    tests' small servers (a token server, fakes for faults a real registry cannot make)."""

    def __init__(self, handler: type[http.server.BaseHTTPRequestHandler]) -> None:
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.address = f"127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http_get(url: str, timeout: float = 5.0) -> str:
    """GET a page, retrying for ``timeout`` seconds while the server comes up."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                return str(r.read().decode())
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def blob_count(work: Path) -> int:
    """Blobs in a registry's storage (each a data file under blobs/sha256/xx/HEX/)."""
    return len(list((work / "data").glob("docker/registry/v2/blobs/sha256/*/*/data")))


def make_ca(folder: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a certificate it signed for 127.0.0.1: (ca.crt, cert, key)."""
    folder.mkdir(parents=True, exist_ok=True)
    ca_key, ca_crt = folder / "ca.key", folder / "ca.crt"
    key, csr, crt = folder / "server.key", folder / "server.csr", folder / "server.crt"

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True)

    new_key = ["-newkey", "rsa:2048", "-nodes"]
    openssl(
        "req",
        "-x509",
        *new_key,
        "-days",
        "2",
        "-subj",
        "/CN=portside test CA",
        "-keyout",
        str(ca_key),
        "-out",
        str(ca_crt),
    )
    ext = folder / "san.ext"
    ext.write_text("subjectAltName=IP:127.0.0.1\n")
    openssl("req", *new_key, "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(csr))
    openssl(
        "x509",
        "-req",
        "-in",
        str(csr),
        "-CA",
        str(ca_crt),
        "-CAkey",
        str(ca_key),
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        str(ext),
        "-out",
        str(crt),
    )
    return ca_crt, crt, key


def htpasswd_auth(work: Path, user: str, password: str) -> str:
    """The ``auth:`` config of a registry that knows one user."""
    line = subprocess.run(
        ["htpasswd", "-Bbn", user, password], capture_output=True, text=True, check=True
    ).stdout
    (work / "htpasswd").write_text(line)
    return f"auth: {{htpasswd: {{realm: basic-realm, path: {work / 'htpasswd'}}}}}\n"


@contextmanager
def serve(
    work: Path, extra_config: str = "", tls: tuple[Path, Path] | None = None
) -> Iterator[str]:
    """A registry with its own storage on a free loopback port; host:port. ``tls``:
    (certificate, key) to serve HTTPS with."""
    exe = shutil.which("docker-registry")
    if exe is None:
        pytest.fail("docker-registry is not installed (apt-get install docker-registry)")
    port = free_port()
    config = work / "config.yml"
    tls_config = f", tls: {{certificate: {tls[0]}, key: {tls[1]}}}" if tls else ""
    config.write_text(
        "version: 0.1\n"
        "log: {level: info}\n"
        f"storage: {{filesystem: {{rootdirectory: {work / 'data'}}}, delete: {{enabled: true}}}}\n"
        f"http: {{addr: 127.0.0.1:{port}{tls_config}}}\n" + extra_config
    )
    log = open(work / "log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([exe, "serve", str(config)], stdout=log, stderr=log)
    scheme = "https" if tls else "http"
    unverified = ssl._create_unverified_context()  # noqa: S323 - only to see it is up
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                with urllib.request.urlopen(
                    f"{scheme}://127.0.0.1:{port}/v2/", timeout=1, context=unverified
                ):
                    break
            except urllib.error.HTTPError:
                break  # 401 with auth on: it answers
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.fail(f"the registry did not start: {(work / 'log').read_text()}")
                time.sleep(0.05)
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        log.close()
