"""What exists of a project in the store, found by its labels, and the order its
services start in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ..errors import InvalidArgument, NotFound
from . import labels as L
from .model import Project

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from ..engine import Engine
    from ..engine.rows import ContainerRow

# what a command tells as it goes: (kind, name, what happened), e.g.
# ("Container", "app-web-1", "Started"), shown as Docker Compose shows it
Say = Callable[[str, str, str], None]


def containers(
    engine: Engine, project: str, services: Iterable[str] = (), oneoff: bool = False
) -> list[ContainerRow]:
    """The project's containers (of ``services`` when given), by service then number;
    ``compose run`` ones only with ``oneoff``."""
    wanted = set(services)
    rows = [
        r
        for r in engine.containers.list(all=True, filters=L.project_filter(project))
        if (not wanted or service_of(r) in wanted)
        and (oneoff or _labels(r).get(L.ONEOFF, "False") != "True")
    ]
    return sorted(rows, key=lambda r: (service_of(r), number_of(r)))


def service_of(row: ContainerRow) -> str:
    return _labels(row).get(L.SERVICE, "")


def number_of(row: ContainerRow) -> int:
    text = _labels(row).get(L.NUMBER, "")
    return int(text) if text.isdigit() else 0


def hash_of(row: ContainerRow) -> str:
    return _labels(row).get(L.CONFIG_HASH, "")


def _labels(row: ContainerRow) -> dict[str, str]:
    return dict(row.config.get("Labels") or {})


def short_name(row: ContainerRow, project: str) -> str:
    """``web-1`` for ``app-web-1``: the prefix of ``logs`` lines."""
    service = service_of(row)
    number = number_of(row)
    return f"{service}-{number}" if service and number else row.name.removeprefix(f"{project}-")


def with_dependencies(project: Project, names: Iterable[str]) -> list[str]:
    """``names`` and every service they depend on, in the order they start: a service
    after those it depends on, else in file order. A cycle is an error."""
    order: list[str] = []
    visiting: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in order:
            return
        if name in visiting:
            raise InvalidArgument(f"dependency cycle detected: {' -> '.join((*path, name))}")
        visiting.add(name)
        for dep in project.service(name).get("depends_on") or {}:
            if dep in project.services:
                visit(dep, (*path, name))
        visiting.discard(name)
        order.append(name)

    for name in names:
        visit(name, ())
    return order


def start_order(project: Project, names: Iterable[str]) -> list[str]:
    """``names`` alone, in dependency order (``--no-deps``, ``start``)."""
    chosen = set(names)
    return [n for n in with_dependencies(project, chosen) if n in chosen]


def image_id(engine: Engine, image: str) -> str:
    """The ID of ``image`` in the store, "" when it is not there."""
    try:
        return engine.images.resolve(image)[0]
    except NotFound:
        return ""
