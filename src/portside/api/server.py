"""The HTTP layer: the standard library's threading socket servers, one thread per
connection (docs/api.md says why, with the measurement).

Engine calls block (a wait, a followed log, an attach), so a thread per connection is
the simple fit. Each request gets its own ``Engine`` on the shared settings: the store's
lock and SQLite connection are then per request, as they are per process for the CLI.

Errors are raised as the exception tree (``errors.py``) and mapped here, once, to
Docker's ``{"message": ...}`` with the class's HTTP status.
"""

from __future__ import annotations

import http.server
import io
import json
import os
import queue
import select
import socket
import socketserver
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable, Iterator

from ..config import Settings
from ..engine import Engine
from ..errors import IncompleteBody, InvalidArgument, PortsideError
from .bodies import BodyReader, buffered, open_body
from .routes import resolve
from .workers import ReusedThreads

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import Any, BinaryIO


class BadRequest(InvalidArgument):
    """A request this server cannot read (its body, a parameter)."""


class Request:
    """One request as handlers see it: path parameters, query, body, and the ways to
    answer (JSON, empty, a stream, a hijacked connection)."""

    def __init__(self, http: HTTPHandler, params: dict[str, str]) -> None:
        self.http = http
        self.params = params
        self.query = {k: v[-1] for k, v in urllib.parse.parse_qs(http.query).items()}
        self.server: Service = http.server  # type: ignore[assignment]
        self._engine: Engine | None = None
        self.answered = False

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = Engine(self.server.settings)
        return self._engine

    def own_engine(self) -> Engine:
        """An engine for a worker thread (the store's SQLite connection belongs to the
        thread that opened it); the worker closes it."""
        return Engine(self.server.settings)

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()

    # -- reading ------------------------------------------------------------------
    def flag(self, name: str, default: bool = False) -> bool:
        value = self.query.get(name)
        if value is None:
            return default
        return value.lower() not in ("", "0", "false", "no")

    def query_all(self, name: str) -> list[str]:
        """Every value of a repeated query key (``names=a&names=b``)."""
        return urllib.parse.parse_qs(self.http.query).get(name, [])

    def int_arg(self, name: str) -> int | None:
        value = self.query.get(name)
        if value is None or value == "":
            return None
        try:
            return int(value)
        except ValueError:
            raise BadRequest(f"invalid value for {name}: {value!r}") from None

    def body(self) -> bytes:
        """The whole body, for the small ones (JSON)."""
        return self.http.read_body()

    def body_stream(self) -> BinaryIO:
        """The body as a file object read as it comes, never past its end (a layer's
        tar, a build context): the engine reads it in constant memory."""
        return buffered(self.http.body_reader())

    def json(self) -> Any:
        data = self.body()
        if not data.strip():
            return {}
        try:
            return json.loads(data)
        except ValueError as e:
            raise BadRequest(f"invalid JSON: {e}") from None

    def json_arg(self, name: str) -> Any:
        text = self.query.get(name)
        if not text:
            return {}
        try:
            return json.loads(text)
        except ValueError as e:
            raise BadRequest(f"invalid {name}: {e}") from None

    def filters(self) -> dict[str, list[str]]:
        """The ``filters`` query, in either of Docker's JSON forms: ``{"type":
        ["container"]}``, or the map the docker CLI sends, ``{"type": {"container":
        true}}``; each key with its values as strings."""
        raw = self.json_arg("filters")
        if not isinstance(raw, dict):
            raise BadRequest("invalid filters: not a JSON object")
        out: dict[str, list[str]] = {}
        for key, value in raw.items():
            if isinstance(value, dict):
                out[key] = [k for k, on in value.items() if on]
            elif isinstance(value, list):
                out[key] = [str(v) for v in value]
            else:
                raise BadRequest(f"invalid filters: {key}")
        return out

    def client_gone(self) -> bool:
        """Whether the client closed its end (readable, and nothing to read): a
        followed stream with nothing new to send ends then."""
        conn: socket.socket = self.http.connection
        try:
            readable, _, _ = select.select([conn], [], [], 0)
            return bool(readable) and conn.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

    # -- answering ----------------------------------------------------------------
    def send_json(self, value: Any, status: int = 200) -> None:
        self.send(status, json.dumps(value).encode() + b"\n", "application/json")

    def send_empty(self, status: int = 204) -> None:
        self.send(status, b"", "")

    def send(self, status: int, body: bytes, content_type: str) -> None:
        h = self.http
        h.send_response(status)
        if content_type:
            h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        if body and h.command != "HEAD":
            h.wfile.write(body)
        self.answered = True

    def stream_work(
        self, work: Callable[[Engine, Callable[[dict[str, Any]], None]], object]
    ) -> None:
        """Docker's JSON-line progress (pull, push, build): ``work(engine, put)`` runs in
        a worker thread with an engine of its own (the store's SQLite connection belongs
        to the thread that opened it) and ``put``s each line. As Docker's daemon does, the
        200 goes with the first line: what ``work`` raises before any line is an error
        answer with its class's status; after, Docker's error line."""
        lines: queue.Queue[dict[str, Any] | Exception | None] = queue.Queue()

        def run() -> None:
            engine = self.own_engine()
            try:
                work(engine, lines.put)
            except Exception as e:  # noqa: BLE001 - handed to the request's thread
                lines.put(e)
            finally:
                engine.close()
                lines.put(None)

        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        first = lines.get()
        if isinstance(first, Exception):
            worker.join()
            raise first

        def body() -> Iterator[bytes]:
            item: dict[str, Any] | Exception | None = first
            while item is not None:
                if isinstance(item, Exception):
                    message = (
                        str(item)
                        if isinstance(item, PortsideError)
                        else f"{type(item).__name__}: {item}"
                    )
                    item = {"errorDetail": {"message": message}, "error": message}
                yield json.dumps(item).encode() + b"\r\n"
                item = lines.get()

        self.stream(body(), "application/json")
        worker.join()

    def stream(self, chunks: Iterable[bytes], content_type: str) -> None:
        """A 200 with ``Transfer-Encoding: chunked``, each piece flushed as it comes."""
        h = self.http
        h.send_response(200)
        h.send_header("Content-Type", content_type)
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        h.wfile.flush()
        self.answered = True
        try:
            for chunk in chunks:
                if chunk:
                    h.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    h.wfile.flush()
            h.wfile.write(b"0\r\n\r\n")
            h.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            h.close_connection = True

    def writer(self, content_type: str) -> ChunkedWriter:
        """A 200 whose body is written as it is made (a tar the engine writes to a
        file object), as chunks; ``close`` ends it."""
        h = self.http
        h.send_response(200)
        h.send_header("Content-Type", content_type)
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        self.answered = True
        return ChunkedWriter(h)

    def hijack(self, content_type: str) -> socket.socket:
        """Answer 101 (200 to a client that asked for no upgrade) and hand over the
        connection: from here the handler owns it, the server closes it after."""
        h = self.http
        upgrade = "upgrade" in h.headers.get("Connection", "").lower()
        if upgrade:
            h.send_response(101, "UPGRADED")
            h.send_header("Connection", "Upgrade")
            h.send_header("Upgrade", "tcp")
        else:
            h.send_response(200)
        h.send_header("Content-Type", content_type)
        h.end_headers()
        h.wfile.flush()
        h.close_connection = True
        self.answered = True
        conn: socket.socket = h.connection
        _until_read(conn)
        return conn

    def end_hijack(self) -> None:
        """Close both directions of a hijacked connection: the client sees the end of
        the output, and a thread still reading its stdin wakes to an end (else closing
        the handler's reader would wait for that thread's read, for ever)."""
        try:
            self.http.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def _until_read(conn: socket.socket, timeout: float = 1.0) -> None:
    """Wait (briefly) until the client has read what was sent: docker-py takes the raw
    socket from under its HTTP reader once the headers are parsed, so bytes that came
    with them, already in that reader's buffer, would be lost to it. On a unix socket
    the kernel says how much the peer has not read yet (SIOCOUTQ)."""
    if conn.family != socket.AF_UNIX:
        return
    import fcntl
    import struct
    import termios

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            raw = fcntl.ioctl(conn.fileno(), termios.TIOCOUTQ, struct.pack("i", 0))
        except OSError:
            return
        if struct.unpack("i", raw)[0] == 0:
            return
        time.sleep(0.001)


class ChunkedWriter(io.RawIOBase):
    """A binary file object whose writes are HTTP chunks."""

    def __init__(self, http: HTTPHandler) -> None:
        self.http = http

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        data = bytes(data)
        if data:
            self.http.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self.http.wfile.write(b"0\r\n\r\n")
            self.http.wfile.flush()
        super().close()


class HTTPHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "portside"
    query = ""
    _body: bytes | None = None
    _reader: BodyReader | None = None

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """What http.server answers itself (a request it cannot parse, a method no
        route has), as Docker's JSON rather than an HTML page."""
        body = json.dumps({"message": message or self.responses.get(code, ("",))[0]}).encode()
        self.request_version = "HTTP/1.1"  # not 0.9, whose answers have no status line
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        if self.command != "HEAD" and code >= 200:
            self.wfile.write(body)

    def address_string(self) -> str:
        return str(self.client_address[0]) if self.client_address else "unix"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        if self.server.verbose:  # type: ignore[attr-defined]
            super().log_message(format, *args)

    def body_reader(self) -> BodyReader:
        """The request's body as it comes (api/bodies.py); one per request."""
        if self._reader is None:
            self._reader = open_body(self.rfile, self.headers, self.connection)  # type: ignore[arg-type]
        return self._reader

    def read_body(self) -> bytes:
        if self._body is None:
            self._body = self.body_reader().read()
        return self._body

    def _finish_body(self) -> None:
        """Read what is left of the body and drop it: unread, it would be read as the
        next request. One that cannot be read to its end closes the connection."""
        try:
            self.body_reader().drain()
        except (PortsideError, OSError):
            self.close_connection = True

    def _serve(self) -> None:
        service: Service = self.server  # type: ignore[assignment]
        service.touch()
        self._body = None
        self._reader = None
        path, _, self.query = self.path.partition("?")
        request: Request | None = None
        try:
            handler, params = resolve(self.command, path)
            request = Request(self, params)
            handler(request)
            if not self.close_connection:
                self._finish_body()
        except Exception as e:  # noqa: BLE001 - every error becomes an answer
            if request is not None and request.answered:
                self.close_connection = True
            else:
                status = e.http_status if isinstance(e, PortsideError) else 500
                if not isinstance(e, PortsideError):
                    sys.stderr.write(f"portside service: {self.command} {self.path}: {e!r}\n")
                message = str(e) or type(e).__name__
                body = json.dumps({"message": message}).encode() + b"\n"
                if isinstance(e, IncompleteBody):
                    self.close_connection = True  # nothing more can be read from it
                else:
                    self._finish_body()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(body)
                except OSError:  # the client went away (a body cut short): no one to tell
                    self.close_connection = True
        finally:
            if request is not None:
                request.close()
            service.touch()

    do_GET = do_POST = do_DELETE = do_PUT = do_HEAD = _serve


class Service:
    """What every connection's handler shares: settings, and the attaches held until
    their container's /start (api/attach.py)."""

    settings: Settings
    verbose: bool
    pending: dict[str, list[Any]]
    pending_lock: threading.Lock
    execs: dict[str, Any]  # exec instances between their create and start (api/execs.py)
    last_active: float
    busy: int

    def setup_service(self, settings: Settings, verbose: bool) -> None:
        self.settings = settings
        self.verbose = verbose
        self.pending = {}
        self.execs = {}
        self.pending_lock = threading.Lock()
        self.last_active = time.monotonic()
        self.busy = 0

    def touch(self) -> None:
        self.last_active = time.monotonic()

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        with self.pending_lock:
            self.busy += 1
        try:
            super().process_request_thread(request, client_address)  # type: ignore[misc]
        finally:
            with self.pending_lock:
                self.busy -= 1
            self.touch()


class UnixService(Service, ReusedThreads, socketserver.ThreadingUnixStreamServer):
    daemon_threads = True


class TCPService(Service, ReusedThreads, socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def listen(uri: str, settings: Settings, verbose: bool = False) -> UnixService | TCPService:
    """A server bound to ``unix:///PATH`` (mode 0660) or ``tcp://HOST:PORT``."""
    server: UnixService | TCPService
    if uri.startswith("unix://"):
        path = uri.removeprefix("unix://")
        if not path.startswith("/"):
            raise InvalidArgument(f"invalid socket path: {uri}")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if os.path.exists(path):
            probe = socket.socket(socket.AF_UNIX)
            try:
                probe.connect(path)
            except OSError:
                os.unlink(path)  # left by a service that died
            else:
                raise InvalidArgument(f"{path}: another service is listening there")
            finally:
                probe.close()
        # bound and listening under a name of its own, then renamed into place: a
        # client that sees the path can connect (between bind and listen it is refused)
        bound = os.path.join(os.path.dirname(path), f".s{os.getpid()}")
        old = os.umask(0o117)
        try:
            server = UnixService(bound, HTTPHandler)
        finally:
            os.umask(old)
        os.chmod(bound, 0o660)
        os.rename(bound, path)
    elif uri.startswith("tcp://"):
        parsed = urllib.parse.urlsplit(uri)
        if parsed.port is None:
            raise InvalidArgument(f"{uri}: a port is needed")
        server = TCPService((parsed.hostname or "127.0.0.1", parsed.port), HTTPHandler)
    else:
        raise InvalidArgument(f"unsupported address {uri!r}: unix:///PATH or tcp://HOST:PORT")
    server.setup_service(settings, verbose)
    return server


def serve(server: UnixService | TCPService, idle: float) -> None:
    """Serve until shut down (a signal calls ``server.shutdown`` from another thread)
    or, with ``idle`` > 0, until no request has been open for that many seconds."""
    if idle > 0:

        def watch() -> None:
            while True:
                time.sleep(min(idle, 0.5))
                with server.pending_lock:
                    busy = server.busy
                if not busy and time.monotonic() - server.last_active >= idle:
                    server.shutdown()
                    return

        threading.Thread(target=watch, daemon=True).start()
    server.serve_forever(poll_interval=0.2)
