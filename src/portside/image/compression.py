"""Streams: detect gzip/zstd/bzip2/xz by magic bytes and decompress on the fly; hash as read.

Everything here streams in bounded chunks: no layer is ever held whole in memory.
"""

from __future__ import annotations

import bz2
import hashlib
import io
import lzma
from collections.abc import Callable
from typing import Any, BinaryIO, Protocol, cast

# ISA-L's inflate: twice zlib's speed (image/gzip_blocks.py)
from isal.igzip_lib import DECOMP_GZIP, IgzipDecompressor
from isal.igzip_lib import IsalError as _IsalError

from ..errors import InvalidArchive

CHUNK = 1 << 20
_ISAL_ERROR = cast(type[Exception], _IsalError)  # its stub types it as an instance

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
BZIP2_MAGIC = b"BZh"
XZ_MAGIC = b"\xfd7zXZ\x00"


class _Decompressor(Protocol):
    """bz2's, lzma's and ISA-L's decompressor objects share this shape."""

    @property
    def eof(self) -> bool: ...
    @property
    def needs_input(self) -> bool: ...
    @property
    def unused_data(self) -> bytes: ...

    def decompress(self, data: bytes, /, max_length: int = -1) -> bytes: ...


def buffered(raw: Any) -> BinaryIO:
    """A BufferedReader (with ``peek``) over any raw or file-like byte stream."""
    return cast(BinaryIO, io.BufferedReader(raw, CHUNK))


def detect(head: bytes) -> str:
    """Return "gzip", "zstd", "bzip2", "xz" or "" (uncompressed) for the first bytes."""
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head.startswith(ZSTD_MAGIC):
        return "zstd"
    if head.startswith(BZIP2_MAGIC):
        return "bzip2"
    if head.startswith(XZ_MAGIC):
        return "xz"
    return ""


class _Reader(io.RawIOBase):
    """A read-only raw stream built from a ``read(n) -> bytes`` function."""

    def __init__(self, read: Any) -> None:
        self._read = read
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if not self._pending:
            self._pending = self._read(len(view))
        n = min(len(view), len(self._pending))
        view[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n


class _Inflater(io.RawIOBase):
    """The decompressed bytes of ``raw``, never more at a time than the caller asks for:
    a small archive that expands a thousandfold (a gzip bomb) is read in the same
    bounded steps as a large one. A stream may hold several members (gzip, bzip2 and xz
    all allow it); they are read as one."""

    def __init__(self, raw: BinaryIO, kind: str) -> None:
        self._raw = raw
        self._kind = kind
        self._dec = self._new()

    def _new(self) -> _Decompressor:
        if self._kind == "gzip":
            return IgzipDecompressor(flag=DECOMP_GZIP)
        if self._kind == "bzip2":
            return bz2.BZ2Decompressor()
        return lzma.LZMADecompressor()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        try:
            data = self._inflate(len(view))
        except (_ISAL_ERROR, OSError, EOFError, lzma.LZMAError) as e:
            raise InvalidArchive(f"corrupt {self._kind} stream: {e}") from e
        n = len(data)
        view[:n] = data
        return n

    def _inflate(self, size: int) -> bytes:
        while True:
            if self._dec.eof:  # a member ended: another may follow
                feed = self._dec.unused_data or self._raw.read(CHUNK)
                if not feed:
                    return b""
                self._dec = self._new()
            elif self._dec.needs_input:
                feed = self._raw.read(CHUNK)
                if not feed:
                    raise InvalidArchive(f"unexpected end of {self._kind} stream (truncated?)")
            else:
                feed = b""  # output is still pending from input already given
            data = self._dec.decompress(feed, size)
            if data:
                return data


def decompressed(raw: BinaryIO, head: bytes | None = None) -> tuple[BinaryIO, str]:
    """Wrap ``raw`` so it reads decompressed bytes; returns (stream, compression name).

    ``raw`` must support ``peek`` (a BufferedReader) unless ``head`` is given.
    """
    if head is None:
        peek = getattr(raw, "peek", None)
        if peek is None:
            raw = buffered(raw)
            peek = raw.peek  # type: ignore[attr-defined]
        head = peek(8)[:8]
    kind = detect(head)
    if not kind:
        return raw, ""
    if kind == "zstd":
        import zstandard

        reader = zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True)

        def read_zstd(n: int) -> bytes:
            try:
                return reader.read(n)
            except zstandard.ZstdError as e:
                raise InvalidArchive(f"corrupt zstd stream: {e}") from e

        return buffered(_Reader(read_zstd)), kind
    return buffered(_Inflater(raw, kind)), kind


def prefixed(head: bytes, rest: BinaryIO) -> BinaryIO:
    """``head`` and then what ``rest`` reads, as one stream: its start put back after a
    look at it."""

    def read(n: int) -> bytes:
        nonlocal head
        if head:
            out, head = head[:n], head[n:]
            return out
        return rest.read(n)

    return buffered(_Reader(read))


class Hasher:
    """sha256 and byte count of what passes through ``update``."""

    def __init__(self) -> None:
        self._hash = hashlib.sha256()
        self._adopted: str | None = None
        self.size = 0

    def update(self, data: bytes) -> None:
        self._hash.update(data)
        self.size += len(data)

    def adopt(self, digest: str, size: int) -> None:
        """Take the digest and size of the same bytes, hashed by someone else."""
        self._adopted = digest
        self.size = size

    @property
    def digest(self) -> str:
        return self._adopted or "sha256:" + self._hash.hexdigest()


class TeeReader(io.RawIOBase):
    """Reads through ``source`` and hands every chunk read to each of ``sinks``."""

    def __init__(self, source: BinaryIO, *sinks: Callable[[bytes], object]) -> None:
        self._source = source
        self._sinks = sinks

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self._source.read(len(view))
        n = len(data)
        view[:n] = data
        if n:
            for sink in self._sinks:
                sink(data)
        return n


def drain(stream: BinaryIO) -> None:
    """Read ``stream`` to its end (so hashes cover trailing tar padding too)."""
    while stream.read(CHUNK):
        pass
