"""Content-addressed blobs in an OCI-layout tree: ``<root>/blobs/sha256/<hex>``.

A blob is committed the way containerd does it: written to an ingest file, fsynced,
checked against its expected size and digest, renamed into place, and the directory
fsynced. A reader therefore never sees a partial blob under its final name.
"""

from __future__ import annotations

import os

from ..errors import DigestMismatch, InvalidArchive, NotFound
from .tempnames import temp_name

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import BinaryIO

    from _typeshed import StrPath

_HEX = frozenset("0123456789abcdef")


def check_digest(digest: str) -> str:
    """Return ``digest`` when it is a well-formed sha256 digest (``sha256:`` and 64
    lower-case hex digits), else raise."""
    hex_part = digest[7:]
    if not (digest.startswith("sha256:") and len(hex_part) == 64 and _HEX.issuperset(hex_part)):
        raise InvalidArchive(f"invalid digest: {digest!r}")
    return digest


def digest_path(directory: str, digest: str) -> str:
    """Where the blob or layer named by ``digest`` (checked) lives in ``directory``."""
    return f"{directory}/{check_digest(digest)[7:]}"


def sha256_digest(data: bytes) -> str:
    from ..ids import Sha256  # hashlib only for large data: see ids.py

    return "sha256:" + Sha256(data).hexdigest()


def fsync_dir(path: StrPath) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Ingest:
    """One blob being written. Use as a context manager: leaving it uncommitted aborts."""

    def __init__(self, store: ContentStore) -> None:
        self._store = store
        self.path = f"{store.ingest_dir}/{temp_name()}"
        self._file: BinaryIO | None = open(self.path, "xb")  # noqa: SIM115 - closed in commit/abort
        from ..ids import Sha256

        self._hash = Sha256()
        self.size = 0
        self.sealed: str | None = None

    def write(self, data: bytes | bytearray | memoryview) -> int:
        assert self._file is not None, "ingest already closed"
        self._hash.update(data)
        self.size += len(data)
        return self._file.write(data)

    @property
    def digest(self) -> str:
        return "sha256:" + self._hash.hexdigest()

    def seal(self, expected: str | None = None, expected_size: int | None = None) -> str:
        """Flush, fsync and verify the blob; it is not visible under its digest yet."""
        assert self._file is not None, "ingest already closed"
        digest = self.digest
        try:
            if expected_size is not None and self.size != expected_size:
                raise DigestMismatch(
                    f"size mismatch for {expected or digest}: expected {expected_size} bytes, "
                    f"got {self.size}"
                )
            if expected is not None and digest != expected:
                raise DigestMismatch(f"digest mismatch: expected {expected}, got {digest}")
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            self._file = None
        except BaseException:
            self.abort()
            raise
        self.sealed = digest
        return digest

    def publish(self) -> bool:
        """Rename a sealed blob into place (under the store lock); False if it existed."""
        assert self.sealed is not None, "publish before seal"
        final = self._store.path(self.sealed)
        if os.path.exists(final):
            os.unlink(self.path)
            return False
        os.rename(self.path, final)
        fsync_dir(self._store.blob_dir)
        return True

    def commit(
        self, expected: str | None = None, expected_size: int | None = None
    ) -> tuple[str, bool]:
        """Seal and publish at once; returns (digest, whether it was new)."""
        digest = self.seal(expected, expected_size)
        return digest, self.publish()

    def abort(self) -> None:
        self.sealed = None
        if self._file is not None:
            self._file.close()
            self._file = None
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass

    def __enter__(self) -> Ingest:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._file is not None or (self.sealed is not None and os.path.exists(self.path)):
            self.abort()


class ContentStore:
    """Blobs under ``root`` (a string path, as the settings' are: config.py)."""

    def __init__(self, root: str) -> None:
        self.blob_dir = f"{root}/blobs/sha256"
        self.ingest_dir = f"{root}/ingest"
        for folder in (self.blob_dir, self.ingest_dir):
            os.makedirs(folder, exist_ok=True)

    def path(self, digest: str) -> str:
        return digest_path(self.blob_dir, digest)

    def exists(self, digest: str) -> bool:
        return os.path.exists(self.path(digest))

    def size(self, digest: str) -> int:
        try:
            return os.stat(self.path(digest)).st_size
        except FileNotFoundError:
            raise NotFound(f"blob not found: {digest}") from None

    def open(self, digest: str) -> BinaryIO:
        try:
            return open(self.path(digest), "rb")
        except FileNotFoundError:
            raise NotFound(f"blob not found: {digest}") from None

    def read(self, digest: str) -> bytes:
        with self.open(digest) as f:
            return f.read()

    def writer(self) -> Ingest:
        return Ingest(self)

    def put(self, data: bytes, expected: str | None = None) -> tuple[str, bool]:
        with self.writer() as w:
            w.write(data)
            return w.commit(expected)

    def delete(self, digest: str) -> None:
        try:
            os.unlink(self.path(digest))
        except FileNotFoundError:
            pass

    def digests(self) -> Iterator[str]:
        for name in os.listdir(self.blob_dir):
            yield "sha256:" + name
