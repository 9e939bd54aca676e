"""``ps --filter`` (and the library's ``filters=``): which containers match, as Docker
decides it."""

from __future__ import annotations

import fnmatch

from ..errors import InvalidArgument
from ..store.containers import ContainerRow
from ..timefmt import parse_rfc3339
from . import filters as shared
from .container_state import STATUSES, Status
from .health import NO_HEALTHCHECK
from .health import STATUSES as HEALTH_STATUSES

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import Protocol

    from ..store.volumes import MountRow
    from .endpoints import EndpointService
    from .images import ImageService

    class Containers(Protocol):
        """What the filters look up: images (``ancestor``), networks (``network``) and
        other containers (``before``, ``since``); ContainerService is one."""

        @property
        def images(self) -> ImageService: ...

        @property
        def endpoints(self) -> EndpointService: ...

        def get(self, ref: str) -> ContainerRow: ...

        def mounts(self, container_id: str) -> list[MountRow]: ...


FILTERS = frozenset(
    {
        "status",
        "name",
        "id",
        "label",
        "ancestor",
        "exited",
        "before",
        "since",
        "network",
        "volume",
        "health",
    }
)


def check(filters: dict[str, list[str]]) -> None:
    shared.check(filters, FILTERS)


def matches(containers: Containers, row: ContainerRow, filters: dict[str, list[str]]) -> bool:
    """Whether ``row`` passes every filter (each key: any of its values)."""
    for key, values in filters.items():
        if key == "status":
            for v in values:
                if v not in STATUSES:
                    raise InvalidArgument(f"Invalid filter 'status={v}'")
            if row.status not in values:
                return False
        elif key == "health":
            for v in values:
                if v not in (*HEALTH_STATUSES, NO_HEALTHCHECK):
                    raise InvalidArgument(f"Unrecognised filter value for health: {v}")
            if (row.health or NO_HEALTHCHECK) not in values:
                return False
        elif key == "name":
            if not any(
                fnmatch.fnmatchcase(row.name, f"*{v}*") or v.lstrip("/") == row.name for v in values
            ):
                return False
        elif key == "id":
            if not any(row.id.startswith(v) for v in values):
                return False
        elif key == "label":
            if not shared.labels_match(row.config.get("Labels"), values):
                return False
        elif key == "ancestor":
            ids = set()
            for v in values:
                try:
                    ids.add(containers.images.resolve(v)[0])
                except Exception:  # noqa: BLE001 - an unknown image matches nothing
                    continue
            if row.image_id not in ids:
                return False
        elif key == "exited":
            if row.status != Status.EXITED or str(row.exit_code) not in values:
                return False
        elif key == "network":
            on = containers.endpoints.networks_of(row)
            if not any(v in on for v in values):
                return False
        elif key == "volume":  # a volume's name or a bind's source, or where it is mounted
            places = {p for m in containers.mounts(row.id) for p in (m.source, m.destination)}
            if not places.intersection(values):
                return False
        elif key in ("before", "since"):
            for v in values:
                pivot = containers.get(v)
                newer = parse_rfc3339(row.created) > parse_rfc3339(pivot.created)
                if row.id == pivot.id or newer != (key == "since"):
                    return False
        else:
            raise InvalidArgument(f"Invalid filter '{key}'")
    return True
