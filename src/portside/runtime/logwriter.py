"""The log writer of a container whose log rotates into more than one file (``--log-opt
max-size=… max-file=N``, N ≥ 2): conmon writes its k8s-file records into a FIFO, and this
appends them to the log, rotating at a record boundary before the log passes max-size.

Rotation keeps N-1 previous files, as Docker's json-file driver does: ``ctr.log.1`` is the
newest of them; the oldest past N-1 is deleted. The log's name always exists: the full
file is hard-linked to ``ctr.log.1`` and a fresh empty one renamed over ``ctr.log``, so a
follower sees the name change inode and the old inode complete.

Run as a script with only the standard library (``python -I -S logwriter.py LOG MAX
COUNT``), its stdin the FIFO's read end; it holds an exclusive flock on that FIFO for its
whole life, so a reader can wait until all that was written has reached the files. It
ends at EOF, when conmon (the FIFO's one writer) exits.
"""

from __future__ import annotations

import fcntl
import os
import sys


def rotate(path: str, count: int) -> None:
    """Shift ``path.1`` … to ``path.2`` …, dropping ``path.<count-1>``, then keep the
    current file as ``path.1`` and put an empty one in its place."""
    if count > 1:
        for k in range(count - 1, 0, -1):
            older = f"{path}.{k}"
            if k == count - 1:
                _unlink(older)
            elif os.path.exists(older):
                os.rename(older, f"{path}.{k + 1}")
        os.link(path, f"{path}.1")
    fresh = f"{path}.tmp"
    os.close(os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600))
    os.rename(fresh, path)


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _write(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _open(path: str) -> tuple[int, int]:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)
    return fd, os.fstat(fd).st_size


def run(source: int, path: str, max_size: int, count: int) -> None:
    fcntl.flock(source, fcntl.LOCK_EX)
    fd, size = _open(path)
    rest = b""
    while True:
        chunk = os.read(source, 1 << 16)
        if not chunk:
            break
        data = rest + chunk
        cut = data.rfind(b"\n") + 1
        block, rest = data[:cut], data[cut:]
        while block:  # whole records: as many as fit, then rotate for the rest
            room = max_size - size
            if len(block) <= room:
                _write(fd, block)
                size += len(block)
                break
            fits = block.rfind(b"\n", 0, room) + 1
            if fits == 0 and size == 0:
                fits = block.index(b"\n") + 1  # one record longer than max-size: alone
            if fits:
                _write(fd, block[:fits])
                block = block[fits:]
            os.close(fd)
            rotate(path, count)
            fd, size = _open(path)
    if rest:
        _write(fd, rest + b"\n")
    os.close(fd)


if __name__ == "__main__":
    run(0, sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
