"""Container logs in the k8s-file format conmon writes, one record a line:

    2026-11-28T06:48:20.173269904+00:00 stdout F message text
    <RFC 3339 time with nanoseconds> <stdout|stderr> <F full line | P partial> <bytes>

A partial record (P) is a piece of a longer line, continued by the next records of the
same stream until an F. The file lives in the container's folder, so it survives
restarts of the container (and of the machine) until ``rm``.
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
    """Lines of the log, optionally only the last ``tail``, then new ones while running."""
    pending: dict[str, list[bytes]] = {}
    try:
        f = open(path, "rb")  # noqa: SIM115 - closed below
    except FileNotFoundError:
        return
    with f:
        data = f.read()
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
                rest = f.read()
                if rest:
                    yield from parse(leftover + rest + b"\n", pending)
                yield from unfinished(pending)
                return
            time.sleep(0.05)


def size(path: Path) -> int:
    try:
        return os.stat(path).st_size
    except FileNotFoundError:
        return 0
