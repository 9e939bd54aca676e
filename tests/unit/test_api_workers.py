"""The API server's connection threads (api/workers.py): a connection that blocks never
holds up another, and threads are kept for the next connections, not one per
connection. A real unix-socket server with the service's mixin order."""

from __future__ import annotations

import os
import socket
import socketserver
import tempfile
import threading
import time
from collections.abc import Iterator

import pytest

from portside.api import workers
from portside.api.workers import MAX_IDLE, ReusedThreads


class Server(ReusedThreads, socketserver.ThreadingUnixStreamServer):
    daemon_threads = True
    release: threading.Event
    blocked: threading.Semaphore  # one release per handler that waits


class Echo(socketserver.StreamRequestHandler):
    """Answers each line with a number of the handling thread's own (its name's: a
    thread's ident may be reused once it ends); a line ``block`` first waits until the
    test releases it."""

    def handle(self) -> None:
        server: Server = self.server  # type: ignore[assignment]
        for line in self.rfile:
            if line.strip() == b"block":
                server.blocked.release()
                server.release.wait(10)
            number = int(threading.current_thread().name.split("-")[1].split()[0])
            self.wfile.write(b"%d\n" % number)


@pytest.fixture
def server() -> Iterator[Server]:
    here = tempfile.mkdtemp(prefix="psw")
    srv = Server(os.path.join(here, "s.sock"), Echo)
    srv.release = threading.Event()
    srv.blocked = threading.Semaphore(0)
    runner = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05})
    runner.start()
    try:
        yield srv
    finally:
        srv.release.set()
        srv.shutdown()
        runner.join()
        srv.server_close()
        os.unlink(srv.server_address)  # type: ignore[arg-type]
        os.rmdir(here)


def ask(server: Server, line: bytes = b"hi") -> int:
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(5)
        s.connect(server.server_address)  # type: ignore[arg-type]
        s.sendall(line + b"\n")
        s.shutdown(socket.SHUT_WR)
        return int(s.makefile("rb").readline())


def test_sequential_connections_reuse_one_thread(server: Server) -> None:
    threads = {ask(server) for _ in range(30)}
    # a connection's thread waits for the next once it has closed this one: a client
    # that connects again in that moment gets a new thread, so a few, not thirty
    assert len(threads) <= 5


def test_a_blocked_connection_does_not_hold_up_another(server: Server) -> None:
    blocked = socket.socket(socket.AF_UNIX)
    blocked.settimeout(10)
    blocked.connect(server.server_address)  # type: ignore[arg-type]
    blocked.sendall(b"block\n")
    try:
        other = ask(server)  # answered while the first connection's thread waits
        server.release.set()
        first = int(blocked.makefile("rb").readline())
    finally:
        blocked.close()
    assert first != other


def test_idle_threads_are_capped(server: Server) -> None:
    held = []
    for _ in range(MAX_IDLE + 4):  # as many threads at once, each blocked
        s = socket.socket(socket.AF_UNIX)
        s.connect(server.server_address)  # type: ignore[arg-type]
        s.sendall(b"block\n")
        held.append(s)
    for s in held:
        s.shutdown(socket.SHUT_WR)
    for _ in held:  # every one is in a thread of its own, waiting
        assert server.blocked.acquire(timeout=10)
    server.release.set()
    for s in held:
        s.settimeout(10)
        assert s.makefile("rb").readline()
        s.close()
    for _ in range(100):  # the finished threads settle: MAX_IDLE wait, the others end
        with server._idle_lock:
            if server._idle == MAX_IDLE:
                break
        time.sleep(0.05)
    with server._idle_lock:
        assert server._idle == MAX_IDLE


def test_idle_threads_end_after_a_while(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workers, "IDLE_SECONDS", 0.2)
    before = threading.active_count()
    held = []
    for _ in range(3):
        s = socket.socket(socket.AF_UNIX)
        s.connect(server.server_address)  # type: ignore[arg-type]
        s.sendall(b"block\n")
        s.shutdown(socket.SHUT_WR)
        held.append(s)
    for _ in held:
        assert server.blocked.acquire(timeout=10)
    assert threading.active_count() == before + 3
    server.release.set()
    for s in held:
        s.settimeout(10)
        assert s.makefile("rb").readline()
        s.close()
    for _ in range(100):
        if threading.active_count() == before:
            break
        time.sleep(0.05)
    assert threading.active_count() == before
    with server._idle_lock:
        assert server._idle == 0
    assert ask(server) >= 0  # and a new connection is served by a new thread
