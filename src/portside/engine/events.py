"""Events (``portside events``, the API's ``GET /events``): recording one, and reading
the journal (store/events.py) between two times, filtered, then following it.

Every engine service records its own events through ``record`` (imported where an event
happens, so a command that records none never loads this module): the front ends never
write events, so the CLI, the library and the API server all leave the same trail. A
container's exit is recorded by ``ContainerState.cleanup``, which conmon's exit command
runs, so it is in the journal even when no portside command was running.

Filters follow Docker's (daemon/events/filter.go): different keys must all match, the
values of one key are alternatives.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping

from ..records import dataclass, field
from ..store.events import EventRow, EventTable
from .filters import check, labels_match

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import Any

    from ..store.containers import ContainerRow
    from ..store.store import Store

EVENT_FILTERS = frozenset(
    {"container", "event", "image", "label", "network", "type", "volume", "scope"}
)
POLL_SECONDS = 0.1


def record(
    store: Store, type_: str, action: str, actor_id: str, attributes: Mapping[str, str]
) -> None:
    """Append one event: inside the caller's transaction when it has one."""
    EventTable(store.meta.conn).append(type_, action, actor_id, attributes)


def container_attributes(row: ContainerRow, **extra: str) -> dict[str, str]:
    """Docker's Actor.Attributes of a container: its labels, image and name."""
    labels = (row.config.get("Labels") or {}) if isinstance(row.config, dict) else {}
    attributes = {str(k): str(v) for k, v in labels.items()}
    attributes.update(image=row.image_ref, name=row.name, **extra)
    return attributes


def record_container(store: Store, row: ContainerRow, action: str, **extra: str) -> None:
    record(store, "container", action, row.id, container_attributes(row, **extra))


@dataclass(frozen=True)
class Event:
    type: str
    action: str
    actor_id: str
    attributes: dict[str, str]
    time_nano: int

    @classmethod
    def from_row(cls, row: EventRow) -> Event:
        return cls(row.type, row.action, row.actor_id, row.attributes, row.time_nano)

    def docker_json(self) -> dict[str, Any]:
        """Docker's events message; ``status``/``id``/``from`` are its older fields,
        kept for containers and images as Docker keeps them."""
        out: dict[str, Any] = {}
        if self.type in ("container", "image"):
            out["status"] = self.action
            out["id"] = self.actor_id
            if self.type == "container" and "image" in self.attributes:
                out["from"] = self.attributes["image"]
        out.update(
            Type=self.type,
            Action=self.action,
            Actor={"ID": self.actor_id, "Attributes": dict(self.attributes)},
            scope="local",
            time=self.time_nano // 10**9,
            timeNano=self.time_nano,
        )
        return out


@dataclass(frozen=True)
class EventOptions:
    since: float | None = None  # Unix time; None: only events from now on
    until: float | None = None  # None: follow until stopped
    filters: dict[str, list[str]] = field(default_factory=dict)


def _strip_tag(name: str) -> str:
    slash = name.rfind("/")
    colon = name.rfind(":")
    return name[:colon] if colon > slash else name


def _exact(values: list[str] | None, *candidates: str) -> bool:
    return values is None or any(c in values for c in candidates if c)


def matches(event: Event, filters: Mapping[str, list[str]]) -> bool:
    attrs = event.attributes
    action = event.action.split(":", 1)[0]
    if not _exact(filters.get("event"), event.action, action):
        return False
    if not _exact(filters.get("type"), event.type):
        return False
    if not _exact(filters.get("scope"), "local"):
        return False
    if "label" in filters and not labels_match(attrs, filters["label"]):
        return False
    for key in ("container", "network", "volume"):
        values = filters.get(key)
        if values is None:
            continue
        if event.type != key:
            return False
        name = attrs.get("name", "")
        if not any(event.actor_id.startswith(v) or v == name for v in values):
            return False
    if "image" in filters:
        name = attrs.get("name" if event.type == "image" else "image", "")
        ids = (event.actor_id, name, _strip_tag(event.actor_id), _strip_tag(name))
        if not _exact(filters["image"], *ids):
            return False
    return True


class EventService:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.table = EventTable(store.meta.conn)

    def read(
        self, options: EventOptions, stopped: Callable[[], bool] = lambda: False
    ) -> Iterator[Event]:
        """The events between ``since`` and ``until`` that pass the filters, oldest
        first; with no ``until``, then new ones as they come until ``stopped()``. Bad
        filters are refused here, before any event is read."""
        check(options.filters, EVENT_FILTERS)
        return self._read(options, stopped)

    def _read(self, options: EventOptions, stopped: Callable[[], bool]) -> Iterator[Event]:
        # with neither time, only what comes from now on; with --until alone, what is
        # kept up to it (as Docker's)
        live_only = options.since is None and options.until is None
        seq = self.table.last_seq() if live_only else 0
        since_nano = 0 if options.since is None else int(options.since * 10**9)
        until_nano = None if options.until is None else int(options.until * 10**9)
        while True:
            # rows get their time under SQLite's write lock: seq order is time order
            rows = self.table.after(seq, since_nano)
            for row in rows:
                seq = row.seq
                if until_nano is not None and row.time_nano > until_nano:
                    return
                event = Event.from_row(row)
                if matches(event, options.filters):
                    yield event
            if rows:
                continue
            if until_nano is not None and time.time_ns() > until_nano:
                return
            if stopped():
                return
            time.sleep(POLL_SECONDS)
