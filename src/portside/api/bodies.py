"""A request's body as a file object, read as the handler asks for it.

``/images/load``, ``PUT /containers/{id}/archive``, ``/build`` and an import send bodies
of any size (a layer of gigabytes); the engine reads each from a stream in constant
memory, so the server hands it the body as one instead of a ``bytes``.

- ``Content-Length`` or ``Transfer-Encoding: chunked``; a body with neither is empty.
- It never reads past the body's end (the socket's next bytes are the next request on
  a kept-alive connection): a read asks the socket for at most what is left of the
  body, or of the current chunk.
- A body that ends early (the client went away, or a malformed chunk) raises
  ``IncompleteBody``; the engine's readers then discard what they staged, and the
  server closes the connection. So does a client that sends nothing for ``IDLE``
  seconds: an archive PUT reads its body under the store lock, which a stalled client
  must not hold for ever.
"""

from __future__ import annotations

import io
import socket
from collections.abc import Iterator
from contextlib import contextmanager

from ..errors import IncompleteBody, InvalidArgument

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import Any, BinaryIO

BLOCK = 1 << 20  # the buffered reader's size handed to the engine
IDLE = 60.0  # seconds a body may send nothing before it counts as cut short


class BodyReader(io.RawIOBase):
    """The raw body: ``readinto`` gives what the socket has of it, up to its end."""

    def __init__(
        self,
        rfile: BinaryIO,
        length: int | None,
        chunked: bool,
        sock: socket.socket | None = None,
        idle: float = IDLE,
    ) -> None:
        """``length``: Content-Length (ignored when ``chunked``); ``sock``: the
        connection, whose reads of the body time out after ``idle`` seconds."""
        self.rfile = rfile
        self.sock = sock
        self.idle = idle
        self.chunked = chunked
        self.left = 0 if chunked else max(length or 0, 0)  # of the body, or of this chunk
        self.finished = not chunked and self.left == 0
        self.received = 0
        self.started = False  # any byte of it read (or the first chunk's size line)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if self.finished or not len(view):
            return 0
        if self.chunked and self.left == 0:
            self._next_chunk()
            if self.finished:
                return 0
        with self._reading():
            data = self.rfile.read1(min(len(view), self.left))  # type: ignore[attr-defined]
        if not data:
            raise IncompleteBody(
                f"the request body ended after {self.received} bytes: the client went away"
            )
        n = len(data)
        view[:n] = data
        self.left -= n
        self.received += n
        self.started = True
        if self.left == 0 and not self.chunked:
            self.finished = True
        return n

    def _next_chunk(self) -> None:
        if self.started and self.chunked:
            if self._line() != b"":  # the CRLF that ends the previous chunk
                raise IncompleteBody("invalid chunked body: no CRLF after a chunk")
        self.started = True
        line = self._line()
        try:
            size = int(line.split(b";")[0].strip(), 16)
        except ValueError:
            raise IncompleteBody("invalid chunked body: a bad chunk size") from None
        if size < 0:
            raise IncompleteBody("invalid chunked body: a bad chunk size")
        if size == 0:
            while self._line():  # trailers, up to the empty line
                pass
            self.finished = True
        self.left = size

    @contextmanager
    def _reading(self) -> Iterator[None]:
        """A read from the socket, given ``idle`` seconds; its failure as IncompleteBody."""
        before = self.sock.gettimeout() if self.sock is not None else None
        try:
            if self.sock is not None:
                self.sock.settimeout(self.idle)
            yield
        except TimeoutError:
            raise IncompleteBody(
                f"the request body stalled: nothing for {self.idle:.0f} s after "
                f"{self.received} bytes"
            ) from None
        except OSError as e:
            raise IncompleteBody(f"the request body was cut short: {e}") from None
        finally:
            if self.sock is not None:
                try:
                    self.sock.settimeout(before)
                except OSError:
                    pass

    def _line(self) -> bytes:
        with self._reading():
            line = self.rfile.readline(1024)
        if not line.endswith(b"\n"):
            raise IncompleteBody(
                f"the request body ended after {self.received} bytes: the client went away"
            )
        return line.strip()

    def drain(self) -> None:
        """Read the rest and drop it (a body the handler did not need)."""
        block = bytearray(64 << 10)
        while self.readinto(block):
            pass


def open_body(rfile: BinaryIO, headers: Any, sock: socket.socket | None = None) -> BodyReader:
    """The body the request's headers announce; a bad Content-Length is a 400."""
    chunked = "chunked" in (headers.get("Transfer-Encoding") or "").lower()
    length = None
    if not chunked:
        try:
            length = int(headers.get("Content-Length") or 0)
        except ValueError:
            raise InvalidArgument("invalid Content-Length") from None
        if length < 0:
            raise InvalidArgument("invalid Content-Length")
    return BodyReader(rfile, length, chunked, sock)


def buffered(body: BodyReader) -> BinaryIO:
    """The body as the engine's readers take it: buffered (reads ahead only within the
    body, since the raw reader stops at its end)."""
    return io.BufferedReader(body, BLOCK)
