"""``--filter key=value`` flags, as Docker parses them."""

from __future__ import annotations

from ..errors import UsageError


def parse_filters(values: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for value in values:
        key, eq, rest = value.partition("=")
        if not eq:
            raise UsageError(f"bad format of filter (expected name=value): {value}")
        out.setdefault(key.strip().lower(), []).append(rest)
    return out
