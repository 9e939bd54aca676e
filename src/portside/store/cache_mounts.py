"""The directories of ``RUN --mount=type=cache``: kept in the store between builds,
never part of a layer.

Layout: ``cache-mounts/NAME/`` holds ``info.json`` (the mount's id, what it started
from, when it was made), ``data/`` (what the RUN sees) and ``lock``. NAME hashes the
id and the base (``from``/``source``, or ``uid``/``gid``/``mode``), as BuildKit keys a
cache by its id and its starting point; a ``sharing=private`` cache in use by another
build gets another instance (NAME hashed again with the instance's number).

- Creation is atomic: the directory is made (and filled from its base) in the store's
  work area under a name of this process, then renamed into place; a concurrent
  creator that loses the rename removes its own.
- A step holds ``lock`` with ``flock`` while it runs: shared for ``sharing=shared``,
  exclusive for ``locked`` (waiting) and ``private`` (or the next instance).
  ``prune`` takes it exclusively without waiting, so a cache in use is never removed;
  it renames the directory into the work area before deleting it, so a half-deleted
  cache is never seen (and a killed prune's leftovers are swept with the rest).
- Last use is the lock file's modification time, set when a step lets go.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ..records import dataclass
from .sizes import dir_size
from .tempnames import remove_tree, temp_name


@dataclass(frozen=True)
class CacheMountInfo:
    name: str  # its directory under cache-mounts/
    id: str  # the mount's id (its target when none was given)
    created: float
    last_used: float
    size: int  # bytes of the files in it
    in_use: bool  # a build step holds it now


class CacheMounts:
    def __init__(self, root: Path, work_dir: Path) -> None:
        self.root = root  # <store>/cache-mounts
        self.work_dir = work_dir  # the store's work area, on the same filesystem

    @contextmanager
    def use(
        self,
        cache_id: str,
        base: str,
        sharing: str,
        prepare: Callable[[Path], None],
    ) -> Iterator[Path]:
        """The data folder of cache ``cache_id`` started from ``base``, made with
        ``prepare(folder)`` the first time, held (per ``sharing``) while in use."""
        n = 0
        while True:
            folder = self.root / _name(cache_id, base, n)
            if not folder.is_dir():
                self._create(folder, cache_id, base, prepare)
            if sharing == "private":
                fd = self._hold(folder, fcntl.LOCK_EX | fcntl.LOCK_NB)
                if fd == -2:  # another step has it: the next instance
                    n += 1
                    continue
            else:
                fd = self._hold(folder, fcntl.LOCK_EX if sharing == "locked" else fcntl.LOCK_SH)
            if fd == -1:  # pruned between the check and the lock: make it again
                continue
            break
        try:
            yield folder / "data"
        finally:
            try:
                os.utime(fd)
            finally:
                os.close(fd)

    @contextmanager
    def reading(self, cache_id: str, base: str) -> Iterator[Path | None]:
        """The data folder of cache ``cache_id`` started from ``base`` (its first
        instance), held shared while it is read; None when there is none."""
        folder = self.root / _name(cache_id, base, 0)
        fd = self._hold(folder, fcntl.LOCK_SH) if folder.is_dir() else -1
        try:
            yield folder / "data" if fd >= 0 else None
        finally:
            if fd >= 0:
                os.close(fd)

    def seed(self, cache_id: str, base: str, prepare: Callable[[Path], None]) -> bool:
        """Make cache ``cache_id`` started from ``base`` with ``prepare(folder)``
        unless it exists; whether it was made here."""
        folder = self.root / _name(cache_id, base, 0)
        if folder.is_dir():
            return False
        self._create(folder, cache_id, base, prepare)
        return True

    def _create(
        self, folder: Path, cache_id: str, base: str, prepare: Callable[[Path], None]
    ) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.work_dir.mkdir(parents=True, exist_ok=True)
        work = self.work_dir / temp_name()
        work.mkdir()
        try:
            (work / "data").mkdir()
            prepare(work / "data")
            info = json.dumps({"id": cache_id, "base": base, "created": time.time()})
            (work / "info.json").write_text(info)
            (work / "lock").touch()
            os.rename(work, folder)
        except OSError:
            if not folder.is_dir():
                raise
        finally:
            if work.exists():
                remove_tree(work)  # another process made it first

    def _hold(self, folder: Path, how: int) -> int:
        """The lock file's descriptor, locked; -2 if busy (non-blocking), -1 if the
        cache went (pruned) before the lock was taken."""
        try:
            fd = os.open(folder / "lock", os.O_RDWR | os.O_CLOEXEC)
        except FileNotFoundError:
            return -1
        try:
            fcntl.flock(fd, how)
        except BlockingIOError:
            os.close(fd)
            return -2
        try:
            same = os.stat(folder / "lock").st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if not same:
            os.close(fd)
            return -1
        return fd

    def list(self) -> list[CacheMountInfo]:
        """Every cache mount, oldest first."""
        try:
            names = sorted(os.listdir(self.root))
        except FileNotFoundError:
            return []
        out = []
        for name in names:
            folder = self.root / name
            try:
                info = json.loads((folder / "info.json").read_text())
                last_used = os.stat(folder / "lock").st_mtime
            except (FileNotFoundError, NotADirectoryError, ValueError):
                continue
            fd = self._hold(folder, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if fd >= 0:
                os.close(fd)
            out.append(
                CacheMountInfo(
                    name,
                    str(info.get("id", "")),
                    float(info.get("created", 0)),
                    last_used,
                    dir_size(folder / "data"),
                    fd == -2,
                )
            )
        return sorted(out, key=lambda c: (c.created, c.name))

    def remove(self, name: str) -> bool:
        """Remove cache ``name`` unless a step holds it; whether it went."""
        folder = self.root / name
        fd = self._hold(folder, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if fd < 0:
            return False
        try:
            self.work_dir.mkdir(parents=True, exist_ok=True)
            gone = self.work_dir / temp_name()
            os.rename(folder, gone)
        finally:
            os.close(fd)
        remove_tree(gone)
        return True


def _name(cache_id: str, base: str, n: int) -> str:
    """The folder of instance ``n`` of cache ``cache_id`` started from ``base``;
    another instance's name is a hash of its own, so the IDs that system df and
    builder prune show cut short stay apart."""
    import hashlib  # OpenSSL's load, 3 ms: only when a cache mount is named

    stem = hashlib.sha256(json.dumps([cache_id, base]).encode()).hexdigest()[:32]
    return stem if n == 0 else hashlib.sha256(f"{stem}-{n}".encode()).hexdigest()[:32]
