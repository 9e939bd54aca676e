"""Timestamps as Docker writes them (RFC 3339, UTC, 'Z') and reads them.

Neither ``datetime`` nor ``re`` is imported for the times portside writes and the
registries' image configs hold (``2026-12-06T03:01:43.091362Z``, up to nanoseconds):
``ps`` and ``images`` read one per row, and the two imports cost ~9 ms of a ~30 ms
command (docs/benchmarks.md). Those are parsed by hand and formatted through
``time.gmtime``, to the same values and text as ``datetime`` gives; any other form goes
through ``datetime`` and a regular expression as before.
"""

from __future__ import annotations

import time

_NS = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,
    "ms": 10**6,
    "s": 10**9,
    "m": 60 * 10**9,
    "h": 3600 * 10**9,
}
_MAX_EPOCH = 253402300800  # 10000-01-01: datetime's range ends before it


def duration_ns(text: str) -> int | None:
    """A Go duration (``30s``, ``1m30s``, ``1.5h``, ``250ms``) in nanoseconds, as
    Docker's HEALTHCHECK fields hold it; None when it is not one."""
    import re  # only a build, a compose file or a prune filter has durations

    if not re.match(r"^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$", text):
        return None
    parts = re.findall(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)", text)
    return int(sum(float(n) * _NS[u] for n, u in parts))


def now_rfc3339() -> str:
    return _format_us(time.time_ns() // 1000)  # datetime.now's microseconds: floored


def format_rfc3339(epoch: float) -> str:
    return _format_us(_microseconds(epoch))


def format_rfc3339_ns(epoch_ns: int) -> str:
    """Go's RFC 3339 with nanoseconds (trailing zeros dropped), as Docker's health log."""
    frac = f"{epoch_ns % 10**9:09d}".rstrip("0")
    return _utc_text("%Y-%m-%dT%H:%M:%S", epoch_ns // 10**9) + (f".{frac}" if frac else "") + "Z"


def utc_text(fmt: str, epoch: float) -> str:
    """``datetime.fromtimestamp(epoch, UTC).strftime(fmt)`` for a ``fmt`` of
    ``time.strftime``'s fields only (no %f, %z, %Z)."""
    return _utc_text(fmt, _microseconds(epoch) // 10**6)


def _microseconds(epoch: float) -> int:
    """``epoch`` in whole microseconds, rounded as ``datetime.fromtimestamp`` rounds it
    (half to even)."""
    whole = int(epoch)  # towards zero, as C's modf splits it
    return whole * 10**6 + round((epoch - whole) * 1e6)


def _format_us(epoch_us: int) -> str:
    """``%Y-%m-%dT%H:%M:%S.%f`` with the fraction's trailing zeros dropped, and Z."""
    seconds, us = divmod(epoch_us, 10**6)
    return _utc_text("%Y-%m-%dT%H:%M:%S", seconds) + f".{us:06d}".rstrip("0").rstrip(".") + "Z"


def _utc_text(fmt: str, seconds: int) -> str:
    if 0 <= seconds < _MAX_EPOCH:
        return time.strftime(fmt, time.gmtime(seconds))
    from datetime import UTC, datetime  # before 1970, or out of datetime's range

    return datetime.fromtimestamp(seconds, UTC).strftime(fmt)


def parse_rfc3339(text: str) -> float:
    """Epoch seconds of an RFC 3339 time (nanosecond fractions allowed); 0.0 if unparsable."""
    seconds = _utc_seconds(text) if text else None
    if seconds is None:
        return _parse_other(text)
    digits = text[20:-1]
    if len(text) <= 27:  # what datetime.fromisoformat(text).timestamp() gives
        return (seconds * 10**6 + int(digits.ljust(6, "0") if digits else 0)) / 10**6
    return seconds + float("0." + digits)


def _utc_seconds(text: str) -> int | None:
    """The whole epoch seconds of ``YYYY-MM-DDTHH:MM:SS[.digits]Z`` (ASCII digits, every
    field in range, no leap second), else None."""
    if (
        len(text) < 20
        or text[-1] != "Z"
        or text[4] + text[7] + text[10] + text[13] + text[16] != "--T::"
    ):
        return None
    digits = text[:4] + text[5:7] + text[8:10] + text[11:13] + text[14:16] + text[17:19]
    if not (digits.isascii() and digits.isdigit()):
        return None
    frac = text[19:-1]  # "" or "." and its digits
    if frac and not (frac[0] == "." and frac[1:].isascii() and frac[1:].isdigit()):
        return None
    year, month, day = int(digits[:4]), int(digits[4:6]), int(digits[6:8])
    hour, minute, second = int(digits[8:10]), int(digits[10:12]), int(digits[12:14])
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    month_days = (31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
    if not (year and 1 <= month <= 12 and 1 <= day <= month_days[month - 1]):
        return None
    if hour > 23 or minute > 59 or second > 59:
        return None
    return _days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm)."""
    year -= month <= 2
    era = year // 400
    yoe = year - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _parse_other(text: str) -> float:
    """``parse_rfc3339`` of any other form: lower-case z, an offset, a space, …"""
    import re
    from datetime import UTC, datetime

    if text and len(text) <= 27 and text[-1] == "Z":  # ours: microseconds at most
        try:
            return datetime.fromisoformat(text).timestamp()
        except ValueError:
            pass
    m = re.match(
        r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|z|[+-]\d{2}:\d{2})$",
        text or "",
    )
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
