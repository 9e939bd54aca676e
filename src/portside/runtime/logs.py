"""Container logs in the k8s-file format conmon writes, one record a line:

    2026-11-28T06:48:20.173269904+00:00 stdout F message text
    <RFC 3339 time with nanoseconds> <stdout|stderr> <F full line | P partial> <bytes>

A partial record (P) is a piece of a longer line, continued by the next records of the
same stream until an F. The file lives in the container's folder, so it survives
restarts of the container (and of the machine) until ``rm``.

A rotated log (``--log-opt max-size/max-file``) keeps its previous files beside it,
``ctr.log.1`` the newest of them, as Docker keeps ``-json.log.1``; ``read`` goes through
them oldest first, and a follower moves on to the next file when the log's name changes
inode (monitor.py and logwriter.py write them).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ..errors import InvalidArgument
from ..records import dataclass

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import BinaryIO


@dataclass(frozen=True)
class Rotation:
    """json-file's max-size (bytes) and max-file (files kept, the current one included)."""

    max_size: int
    max_file: int = 1


def files(path: Path) -> list[Path]:
    """The log's files, oldest first: ``ctr.log.N`` … ``ctr.log.1``, ``ctr.log``."""
    return [name for name, _ in _chain(path)]


def _chain(path: Path) -> list[tuple[Path, int]]:
    """The log's files with their inodes, oldest first, as one consistent view: the
    directory is read until two readings agree, so a rotation under way (a rename of
    ``.1`` to ``.2`` …) is not seen half done."""
    before: list[tuple[Path, int]] | None = None
    for _ in range(50):
        now = _scan(path)
        if now == before:
            break
        before = now
    return now


def _scan(path: Path) -> list[tuple[Path, int]]:
    prefix = path.name + "."
    try:
        names = os.listdir(path.parent)
    except FileNotFoundError:
        return []
    kept = sorted(
        (
            int(n[len(prefix) :])
            for n in names
            if n.startswith(prefix) and n[len(prefix) :].isdigit()
        ),
        reverse=True,
    )
    out = []
    for name in [*(path.with_name(f"{prefix}{k}") for k in kept), path]:
        try:
            out.append((name, os.stat(name).st_ino))
        except FileNotFoundError:
            continue
    return out


def settle(path: Path, timeout: float = 5.0) -> None:
    """Wait (a bounded time) until a rotating log's writer has written all it was sent:
    it holds an exclusive flock on the FIFO until its end."""
    import fcntl

    try:
        fd = os.open(path.with_name(path.name + ".fifo"), os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    return
                time.sleep(0.01)
    finally:
        os.close(fd)


_RECORD = re.compile(rb"^(\S+) (stdout|stderr) ([FP]) ?(.*)$", re.S)


@dataclass(frozen=True)
class LogLine:
    time: str  # RFC 3339 UTC, nanoseconds, as docker logs -t prints it
    epoch: float
    stream: str
    data: bytes  # with its trailing newline when the line was complete


def _utc(stamp: bytes) -> tuple[str, float]:
    text = stamp.decode()
    m = re.match(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$", text)
    if not m:
        return text, 0.0
    base = datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
    zone = m.group(3)
    if zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        base -= sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
    frac = (m.group(2) or "0").ljust(9, "0")[:9]
    epoch = base.timestamp() + int(frac) / 1e9
    return base.strftime("%Y-%m-%dT%H:%M:%S") + f".{frac}Z", epoch


def parse(chunk: bytes, pending: dict[str, list[bytes]]) -> Iterator[LogLine]:
    """Records from complete lines of ``chunk``; partial records wait in ``pending``
    (per stream: the first part's time stamp, then the parts)."""
    for raw in chunk.split(b"\n"):
        m = _RECORD.match(raw)
        if not m:
            continue
        stamp, stream_b, tag, data = m.groups()
        stream = stream_b.decode()
        if tag == b"P":
            pending.setdefault(stream, [stamp]).append(data)
            continue
        parts = pending.pop(stream, [stamp])
        when, epoch = _utc(parts[0])
        yield LogLine(when, epoch, stream, b"".join(parts[1:]) + data + b"\n")


def unfinished(pending: dict[str, list[bytes]]) -> Iterator[LogLine]:
    """What was written without a final newline (``printf x``), once nothing more comes."""
    for stream, parts in sorted(pending.items()):
        when, epoch = _utc(parts[0])
        yield LogLine(when, epoch, stream, b"".join(parts[1:]))
    pending.clear()


def parse_time(value: str, now: float | None = None) -> float:
    """--since/--until: RFC 3339, a Unix timestamp, or a duration before now (10m, 1h30m)."""
    now = time.time() if now is None else now
    text = value.strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    if re.fullmatch(r"(\d+(\.\d+)?(ns|us|ms|s|m|h))+", text):
        units = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}
        total = sum(
            float(n) * units[u] for n, _, u in re.findall(r"(\d+(\.\d+)?)(ns|us|ms|s|m|h)", text)
        )
        return now - total
    from ..timefmt import parse_rfc3339

    epoch = parse_rfc3339(text if text[-1:] in "Zz" or "+" in text[10:] else text + "Z")
    if epoch == 0.0:
        raise InvalidArgument(f'invalid value for "since"/"until": {value!r}')
    return epoch


def read(
    path: Path,
    tail: int | None = None,
    since: float | None = None,
    until: float | None = None,
    follow: bool = False,
    running: Callable[[], bool] | None = None,
) -> Iterator[LogLine]:
    """Lines of the log (across its rotated files), optionally only the last ``tail``,
    then new ones while running."""
    pending: dict[str, list[bytes]] = {}
    if not follow or running is None or not running():
        settle(path)
    opened: list[BinaryIO] = []
    for name in files(path):
        try:
            opened.append(open(name, "rb"))  # noqa: SIM115 - closed below
        except FileNotFoundError:
            continue
    if not opened:
        return
    f = opened[-1]
    try:
        data = b"".join(g.read() for g in opened)
        for g in opened[:-1]:
            g.close()
        cut = data.rfind(b"\n") + 1
        leftover = data[cut:]
        lines = list(parse(data[:cut], pending))
        if not follow:
            lines += unfinished(pending)
        lines = [
            ln
            for ln in lines
            if (since is None or ln.epoch >= since) and (until is None or ln.epoch <= until)
        ]
        if tail is not None:
            lines = lines[-tail:] if tail > 0 else []
        yield from lines
        if not follow:
            return
        while True:
            chunk = f.read()
            if not chunk:
                newer = _next_file(path, f)
                if newer is not None:
                    chunk = f.read()  # written before the rotation, after the read above
                    f.close()
                    f = newer
            if chunk:
                data = leftover + chunk
                cut = data.rfind(b"\n") + 1
                leftover = data[cut:]
                for ln in parse(data[:cut], pending):
                    if until is not None and ln.epoch > until:
                        return
                    yield ln
                continue
            if running is not None and not running():
                settle(path)
                rest = f.read()
                newer = _next_file(path, f)
                while newer is not None:
                    f.close()
                    f = newer
                    rest += f.read()
                    newer = _next_file(path, f)
                if rest:
                    yield from parse(leftover + rest + b"\n", pending)
                yield from unfinished(pending)
                return
            time.sleep(0.05)
    finally:
        f.close()


def _next_file(path: Path, current: BinaryIO) -> BinaryIO | None:
    """After ``current`` is read to its end: the file that follows it when the log has
    rotated since (the next newer kept file, or the log itself when ``current`` was
    dropped), else None. The writer finishes a file before it rotates, so a rotated
    file read to its end has nothing more to come."""
    status = os.fstat(current.fileno())
    inode, gone = status.st_ino, status.st_nlink == 0
    for _ in range(20):
        chain = _chain(path)
        inodes = [i for _, i in chain]
        if not chain or inodes[-1] == inode:
            return None  # still the current log
        if inode in inodes:
            name, expected = chain[inodes.index(inode) + 1]
        elif gone:
            name, expected = chain[0]  # deleted (max-file 1, or rotated past): the oldest
        else:
            time.sleep(0.01)  # renamed between two readings: look again
            continue
        try:
            newer = open(name, "rb")  # noqa: SIM115 - the caller closes it
        except FileNotFoundError:
            continue  # rotated again meanwhile: look again
        if os.fstat(newer.fileno()).st_ino == expected:
            return newer
        newer.close()
    return None


def size(path: Path) -> int:
    try:
        return os.stat(path).st_size
    except FileNotFoundError:
        return 0
