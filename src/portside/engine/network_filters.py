"""``network ls --filter``: which networks match, as Docker decides it (each key: any
of its values; every key must hold)."""

from __future__ import annotations

from ..errors import InvalidArgument
from ..store.networks import NetworkRow
from . import filters as shared

FILTERS = frozenset({"name", "id", "label", "driver", "type", "dangling"})


def check(filters: dict[str, list[str]]) -> None:
    shared.check(filters, FILTERS)
    for value in filters.get("type", []):
        if value not in ("custom", "builtin"):
            raise InvalidArgument(f"invalid filter: 'type'='{value}'")
    if "dangling" in filters:
        shared.boolean("dangling", filters["dangling"])


def matches(
    network: NetworkRow, filters: dict[str, list[str]], in_use: bool, builtin: bool
) -> bool:
    """``in_use``: a container is attached to the network; ``builtin``: it is one of
    the pre-defined ones (bridge, host, none)."""
    for key, values in filters.items():
        if key == "name" and not shared.loosely_matches(network.name, values):
            return False
        if key == "id" and not shared.loosely_matches(network.id, values):
            return False
        if key == "label" and not shared.labels_match(network.labels, values):
            return False
        if key == "driver" and network.driver not in values:
            return False
        if key == "type" and ("builtin" if builtin else "custom") not in values:
            return False
        if key == "dangling":
            # dangling: a user-defined network no container is on; the pre-defined ones
            # are never dangling
            dangling = not builtin and not in_use
            if dangling != shared.boolean(key, values):
                return False
    return True
