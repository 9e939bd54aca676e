"""Timestamps as Docker writes them (RFC 3339, UTC, 'Z') and reads them."""

from __future__ import annotations

import re
from datetime import UTC, datetime

_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|z|[+-]\d{2}:\d{2})$"
)


_DURATION = re.compile(r"^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$")
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_NS = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,
    "ms": 10**6,
    "s": 10**9,
    "m": 60 * 10**9,
    "h": 3600 * 10**9,
}


def duration_ns(text: str) -> int | None:
    """A Go duration (``30s``, ``1m30s``, ``1.5h``, ``250ms``) in nanoseconds, as
    Docker's HEALTHCHECK fields hold it; None when it is not one."""
    if not _DURATION.match(text):
        return None
    return int(sum(float(n) * _NS[u] for n, u in _DURATION_PART.findall(text)))


def now_rfc3339() -> str:
    return format_rfc3339(datetime.now(UTC).timestamp())


def format_rfc3339(epoch: float) -> str:
    dt = datetime.fromtimestamp(epoch, UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%f").rstrip("0").rstrip(".") + "Z"


def format_rfc3339_ns(epoch_ns: int) -> str:
    """Go's RFC 3339 with nanoseconds (trailing zeros dropped), as Docker's health log."""
    dt = datetime.fromtimestamp(epoch_ns // 10**9, UTC)
    frac = f"{epoch_ns % 10**9:09d}".rstrip("0")
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + (f".{frac}" if frac else "") + "Z"


def parse_rfc3339(text: str) -> float:
    """Epoch seconds of an RFC 3339 time (nanosecond fractions allowed); 0.0 if unparsable."""
    if text and len(text) <= 27 and text[-1] == "Z":  # ours: microseconds at most
        try:  # the C parser: a tenth of the time, and every row of a list has times
            return datetime.fromisoformat(text).timestamp()
        except ValueError:
            pass
    m = _RFC3339.match(text or "")
    if not m:
        return 0.0
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    frac = float("0." + m.group(7)) if m.group(7) else 0.0
    zone = m.group(8)
    dt = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    epoch = dt.timestamp() + frac
    if zone not in ("Z", "z"):
        sign = 1 if zone[0] == "+" else -1
        epoch -= sign * (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60)
    return epoch
