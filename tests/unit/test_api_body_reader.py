"""The API's request body reader (api/bodies.py) on a real socket pair: both framings,
never a byte past the body's end, and a body cut short or stalled as IncompleteBody."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from portside.api.bodies import BodyReader, buffered
from portside.errors import IncompleteBody

NEXT = b"GET /_ping HTTP/1.1\r\n\r\n"  # the next request on a kept-alive connection


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    a, b = socket.socketpair()
    yield a, b
    a.close()
    b.close()


def test_content_length_stops_at_the_body_end(pair: tuple[socket.socket, socket.socket]) -> None:
    client, server = pair
    client.sendall(b"x" * 100_000 + NEXT)
    rfile = server.makefile("rb")
    body = buffered(BodyReader(rfile, 100_000, False, server))
    assert body.read() == b"x" * 100_000
    assert rfile.readline() == b"GET /_ping HTTP/1.1\r\n"


def test_chunked_with_extensions_and_trailers(pair: tuple[socket.socket, socket.socket]) -> None:
    client, server = pair
    client.sendall(b"3;ext=1\r\nabc\r\n5\r\nde\r\nf\r\n0\r\nX-Trailer: 1\r\n\r\n" + NEXT)
    rfile = server.makefile("rb")
    body = buffered(BodyReader(rfile, None, True, server))
    assert body.read() == b"abcde\r\nf"
    assert rfile.readline() == b"GET /_ping HTTP/1.1\r\n"


def test_a_body_cut_short(pair: tuple[socket.socket, socket.socket]) -> None:
    client, server = pair
    client.sendall(b"y" * 10)
    client.shutdown(socket.SHUT_WR)
    reader = BodyReader(server.makefile("rb"), 1000, False, server)
    with pytest.raises(IncompleteBody, match="ended after 10 bytes"):
        reader.read()


def test_a_stalled_body(pair: tuple[socket.socket, socket.socket]) -> None:
    client, server = pair
    client.sendall(b"4\r\nabcd\r\n")  # then nothing, the connection open
    reader = BodyReader(server.makefile("rb"), None, True, server, idle=0.2)
    with pytest.raises(IncompleteBody, match="stalled"):
        reader.read()
    assert server.gettimeout() is None  # the connection's own timeout is back


def test_a_bad_chunk_size(pair: tuple[socket.socket, socket.socket]) -> None:
    client, server = pair
    client.sendall(b"zz\r\n")
    with pytest.raises(IncompleteBody, match="chunk size"):
        BodyReader(server.makefile("rb"), None, True, server).read()
