"""The store lock: one exclusive flock taken by every command that changes the store.

Readers do not take it: SQLite in WAL mode gives them a consistent snapshot, and files
under their final names are complete (see content.py).
"""

from __future__ import annotations

import fcntl
import os

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from types import TracebackType


class StoreLock:
    def __init__(self, path: str) -> None:
        self._path = path
        self._fd: int | None = None
        self._depth = 0

    def __enter__(self) -> StoreLock:
        if self._depth == 0:
            fd = os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX)
            self._fd = fd
        self._depth += 1
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._depth -= 1
        if self._depth == 0 and self._fd is not None:
            os.close(self._fd)  # closing releases the flock
            self._fd = None
