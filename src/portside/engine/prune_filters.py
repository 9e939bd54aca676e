"""``prune --filter`` for containers and networks, as Docker's: ``until`` (only what was
created before a time: Unix seconds, an RFC 3339 time or date, or a Go duration back
from now), ``label`` (``KEY`` or ``KEY=VALUE``, each one required) and ``label!`` (kept
when it has every one of them)."""

from __future__ import annotations

import time
from collections.abc import Mapping

from ..errors import InvalidArgument
from ..timefmt import duration_ns, parse_rfc3339
from . import filters as shared

FILTERS = frozenset({"until", "label", "label!"})


class PruneFilter:
    """The filters of one prune, checked once; ``matches`` says what it may remove."""

    def __init__(self, filters: Mapping[str, list[str]] | None, now: float | None = None) -> None:
        filters = filters or {}
        shared.check(filters, FILTERS)
        until = filters.get("until") or []
        if len(until) > 1:
            raise InvalidArgument("more than one until filter specified")
        now = time.time() if now is None else now
        self.until = until_time(until[0], now) if until else None
        self.labels = list(filters.get("label") or [])
        self.not_labels = list(filters.get("label!") or [])

    def matches(self, labels: Mapping[str, str] | None, created: str) -> bool:
        if self.until is not None and parse_rfc3339(created) > self.until:
            return False
        if self.labels and not shared.labels_match(labels, self.labels):
            return False
        return not (self.not_labels and shared.labels_match(labels, self.not_labels))


def until_time(text: str, now: float) -> float:
    """Docker's timestamp argument as Unix seconds."""
    ns = duration_ns(text)
    if ns is not None:
        return now - ns / 1e9
    try:
        return float(text)
    except ValueError:
        pass
    for candidate in (text, f"{text}T00:00:00Z", f"{text}Z"):
        seconds = parse_rfc3339(candidate)
        if seconds:
            return seconds
    raise InvalidArgument(f"invalid value for until: {text!r}: a time, a date or a duration")
