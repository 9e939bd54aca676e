"""Times parsed and formatted by hand give what datetime gave, to the last digit."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from portside import timefmt

STAMPS = [
    "2026-12-06T03:01:43.091362Z",
    "2026-12-06T03:01:43Z",
    "2026-12-06T03:01:43.5Z",
    "2023-05-19T20:18:47.123456789Z",  # a registry's config: nanoseconds
    "2024-02-29T00:00:00Z",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59.999999Z",
    "1969-12-31T23:59:59.5Z",
]


def _expected(text: str) -> float:
    """What parse_rfc3339 gave for these: datetime's own reading."""
    if len(text) <= 27:
        return datetime.fromisoformat(text).timestamp()
    whole, _, frac = text[:-1].partition(".")
    return datetime.fromisoformat(whole + "Z").timestamp() + float("0." + frac)


def test_parses_as_datetime() -> None:
    rng = random.Random(24)
    stamps = list(STAMPS)
    for _ in range(5000):
        year, month, day = rng.randint(1, 9999), rng.randint(1, 12), rng.randint(1, 28)
        frac = rng.choice(["", "." + str(rng.randint(0, 10**9)).zfill(rng.randint(1, 9))])
        stamps.append(
            f"{year:04d}-{month:02d}-{day:02d}T{rng.randint(0, 23):02d}:"
            f"{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}{frac}Z"
        )
    for text in stamps:
        assert timefmt.parse_rfc3339(text) == _expected(text), text


def test_other_forms_still_parse() -> None:
    assert timefmt.parse_rfc3339("2026-12-06T04:01:43+01:00") == 1796526103.0
    assert timefmt.parse_rfc3339("2026-12-06 03:01:43.5z") == 1796526103.5
    assert timefmt.parse_rfc3339("yesterday") == 0.0
    assert timefmt.parse_rfc3339("") == 0.0
    with pytest.raises(ValueError, match="day is out of range"):  # as datetime refuses it
        timefmt.parse_rfc3339("2026-02-30T00:00:00Z")


def test_formats_as_datetime() -> None:
    rng = random.Random(24)
    epochs = [0, 0.0, 1.9999995, 1.0000005, 0.0000015, 1e9 + 0.4999995, 253402300799, -1.5]
    epochs += [rng.uniform(0, 4e9) for _ in range(5000)]
    epochs += [rng.randint(0, 2**32) + rng.randint(0, 3) * 0.5e-6 for _ in range(5000)]
    for epoch in epochs:
        dt = datetime.fromtimestamp(epoch, UTC)
        text = dt.strftime("%Y-%m-%dT%H:%M:%S.%f").rstrip("0").rstrip(".") + "Z"
        assert timefmt.format_rfc3339(epoch) == text, epoch
        go = dt.strftime("%Y-%m-%d %H:%M:%S +0000 UTC")
        assert timefmt.utc_text("%Y-%m-%d %H:%M:%S +0000 UTC", epoch) == go, epoch


def test_nanoseconds_as_go_writes_them() -> None:
    assert timefmt.format_rfc3339_ns(1796526103_091362000) == "2026-12-06T03:01:43.091362Z"
    assert timefmt.format_rfc3339_ns(1796526103_000000001) == "2026-12-06T03:01:43.000000001Z"
    assert timefmt.format_rfc3339_ns(1796526103 * 10**9) == "2026-12-06T03:01:43Z"
