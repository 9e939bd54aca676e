"""What every ``--filter`` shares (``ps``, ``volume ls``, ``network ls``, ``images``): the
keys a listing takes, labels (``label=KEY`` or ``label=KEY=VALUE``, each one required),
and Docker's loose name match. Each resource's own keys stay beside the resource."""

from __future__ import annotations

from ..errors import InvalidArgument

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping


def check(filters: Mapping[str, object], allowed: Iterable[str]) -> None:
    """Refuse a key the listing does not take, in Docker's words."""
    known = set(allowed)
    for key in filters:
        if key not in known:
            raise InvalidArgument(f"Invalid filter '{key}'")


def labels_match(labels: Mapping[str, str] | None, values: Iterable[str]) -> bool:
    """Whether ``labels`` has every ``KEY`` or ``KEY=VALUE`` of ``values``."""
    labels = labels or {}
    for value in values:
        key, eq, wanted = value.partition("=")
        if key not in labels or (eq and labels[key] != wanted):
            return False
    return True


def loosely_matches(text: str, values: Iterable[str]) -> bool:
    """Docker's ``filters.Match``: a value is a regular expression found anywhere in
    ``text`` (a value that is no valid expression is looked for as it is)."""
    import re  # only the filters that match loosely (name, id) need it

    for value in values:
        try:
            if re.search(value, text):
                return True
        except re.error:
            if value in text:
                return True
    return False


def boolean(key: str, values: list[str]) -> bool:
    """A filter that is true or false (``dangling``); Docker's refusal of anything else."""
    if not values or any(v.lower() not in ("true", "1", "false", "0") for v in values):
        raise InvalidArgument(
            f'invalid value for filter \'{key}\', must be "true" (or "1"), or "false" (or "0")'
        )
    return values[-1].lower() in ("true", "1")
