"""``POST /containers/{id}/attach`` (hijacked) and ``/start``, which meet here.

``docker run`` attaches before it starts. The engine connects to the monitor's attach
socket between ``runc create`` and ``runc start`` (``lifecycle.start(attach=True)``), so
no early output is lost; an attach to a created container is therefore held until this
server's ``/start`` of that container, which starts it attached and hands the socket to
the waiting connection. A running container's attach socket is reached directly.
"""

from __future__ import annotations

import _socket
import socket
import threading
from io import BufferedIOBase

from ..engine.container_state import ACTIVE
from ..engine.logs import LogOptions
from ..errors import Conflict
from .containers import STDERR, STDOUT, frame
from .server import BadRequest, Request, Service

MONITOR_STDOUT, MONITOR_STDERR = 2, 3  # conmon's stream bytes (runtime/attach.py)


class Waiter:
    """An attach waiting for its container's start."""

    def __init__(self) -> None:
        self.ready = threading.Event()
        self.sock: _socket.socket | None = None  # the monitor's (runtime/attach.py)

    def give(self, sock: _socket.socket | None) -> None:
        self.sock = sock
        self.ready.set()


def _take(server: Service, container_id: str) -> list[Waiter]:
    """Every attach waiting for this container's start (compose opens one a stream)."""
    with server.pending_lock:
        return server.pending.pop(container_id, [])


def _drop(server: Service, container_id: str, waiter: Waiter) -> None:
    with server.pending_lock:
        waiters = server.pending.get(container_id) or []
        if waiter in waiters:
            waiters.remove(waiter)
        if not waiters:
            server.pending.pop(container_id, None)


def start(req: Request) -> None:
    engine = req.engine
    row = engine.containers.get(req.params["id"])
    if row.status in ACTIVE:
        req.send_empty(304)
        return
    waiters = _take(req.server, row.id)
    try:
        started = engine.lifecycle.start(row.id, attach=len(waiters))
    except BaseException:
        for waiter in waiters:
            waiter.give(None)
        raise
    for waiter, sock in zip(waiters, started.attached, strict=True):
        waiter.give(sock)
    req.send_empty()


def attach(req: Request) -> None:
    engine = req.engine
    row = engine.containers.get(req.params["id"])
    tty = bool(row.config.get("Tty"))
    streams = {STDOUT} if req.flag("stdout") else set()
    if req.flag("stderr"):
        streams.add(STDERR)
    stdin = req.flag("stdin") and bool(row.config.get("OpenStdin"))
    kind = "raw-stream" if tty else "multiplexed-stream"
    if not req.flag("stream"):  # Docker's default: no live stream, the logs at most
        conn = req.hijack(f"application/vnd.docker.{kind}")
        if req.flag("logs"):
            _replay(req, row.id, tty, streams, conn)
        return
    waiter: Waiter | None = None
    if row.status not in ACTIVE:
        waiter = Waiter()
        with req.server.pending_lock:
            req.server.pending.setdefault(row.id, []).append(waiter)
    try:
        sock = None if waiter else engine.attach.connect(row.id)
    except OSError:
        sock = None
    conn = req.hijack(f"application/vnd.docker.{kind}")
    try:
        if req.flag("logs"):  # what it wrote so far, then what it writes from now
            _replay(req, row.id, tty, streams, conn)
        if waiter is not None:
            sock = _await_start(req, row.id, waiter)
        if sock is not None:
            relay(sock, conn, req.http.rfile, tty, streams, stdin)
    finally:
        req.end_hijack()


def _replay(
    req: Request, container_id: str, tty: bool, streams: set[int], conn: socket.socket
) -> None:
    options = LogOptions(stdout=STDOUT in streams, stderr=STDERR in streams)
    try:
        for c in req.engine.logs.read(container_id, options):
            stream = STDERR if c.stream == "stderr" else STDOUT
            conn.sendall(c.data if tty else frame(stream, c.data))
    except OSError:
        pass


def resize(req: Request) -> None:
    """``POST /containers/{id}/resize?h=ROWS&w=COLS``: the container's terminal."""
    rows, cols = terminal_size(req)
    row = req.engine.containers.get(req.params["id"])
    if row.status != "running":
        raise Conflict(f"Container {row.id} is not running")
    req.engine.attach.resize(row.id, rows, cols)
    req.send_empty(200)


def terminal_size(req: Request) -> tuple[int, int]:
    rows, cols = req.int_arg("h"), req.int_arg("w")
    if rows is None or cols is None or rows < 0 or cols < 0:
        raise BadRequest("resize needs h and w, the rows and columns")
    return rows, cols


def _await_start(req: Request, container_id: str, waiter: Waiter) -> _socket.socket | None:
    """The attach socket once this server starts the container; a direct connection
    when something else started it; None when it was removed first."""
    table = req.engine.containers
    while not waiter.ready.wait(0.2):
        try:
            row = table.get(container_id)
        except Exception:  # noqa: BLE001 - removed (or unreadable): nothing to relay
            row = None
        if row is None or row.status in ACTIVE:
            _drop(req.server, container_id, waiter)
            if waiter.ready.is_set():
                break  # given between the check and the drop
            if row is None:
                return None
            try:
                return req.engine.attach.connect(container_id)
            except OSError:
                return None
    return waiter.sock


def relay(
    sock: _socket.socket,
    conn: socket.socket,
    rfile: BufferedIOBase,
    tty: bool,
    streams: set[int],
    stdin: bool,
) -> None:
    """The monitor's packets to the client (raw with a TTY, else multiplexed frames),
    and the client's bytes to the container's stdin, until the output ends."""
    if stdin:
        threading.Thread(target=_pump_stdin, args=(rfile, sock), daemon=True).start()
    try:
        while True:
            try:
                packet = sock.recv(65536)
            except OSError:
                break
            if not packet:
                break
            stream = STDERR if packet[0] == MONITOR_STDERR else STDOUT
            if stream not in streams:
                continue
            data = packet[1:]
            try:
                conn.sendall(data if tty else frame(stream, data))
            except OSError:
                break
    finally:
        sock.close()


def _pump_stdin(rfile: BufferedIOBase, sock: _socket.socket) -> None:
    try:
        while True:
            data = rfile.read1(65536)
            if not data:
                break
            sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
    except (OSError, ValueError):
        pass
