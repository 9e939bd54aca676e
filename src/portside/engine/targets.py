"""Operations on several targets (``rm a b c``, ``stop``, ``kill`` …): one report each.

As Podman's ``ContainerStop(namesOrIDs, options) -> []StopReport``: every front end
passes the names or IDs it was given and an options record, and gets back one
:class:`TargetReport` per target, in order, with that target's own error. A failure
never stops the targets after it; how a report is shown (Docker prints the name as
given, or the error, one line each) is the front end's business. The reports come as
an iterator, each when its target is done; ``list()`` it to have them all.
"""

from __future__ import annotations

from ..errors import PortsideError
from ..records import dataclass

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from . import Engine
    from .resources import Limits


@dataclass(frozen=True)
class TargetReport:
    target: str  # the name or ID as given (Podman's RawInput)
    id: str = ""  # the object's full ID (a volume's name), when it was found
    error: PortsideError | None = None
    exit_code: int | None = None  # ``wait``: the container's exit code
    untagged: tuple[str, ...] = ()  # ``rmi``: names removed (familiar form)
    deleted: tuple[str, ...] = ()  # ``rmi``: image IDs deleted


@dataclass(frozen=True)
class StopOptions:
    timeout: int | None = None  # seconds before SIGKILL; None: the container's own


@dataclass(frozen=True)
class KillOptions:
    signal: str = "KILL"


@dataclass(frozen=True)
class RemoveOptions:
    force: bool = False  # kill a running container first
    volumes: bool = False  # its anonymous volumes too


@dataclass(frozen=True)
class UpdateOptions:
    limits: Limits
    restart: str = ""  # a restart policy ("on-failure:3"); "" leaves it as it is


def each(targets: Iterable[str], action: Callable[[str], TargetReport]) -> Iterator[TargetReport]:
    """``action`` per target, each report as soon as it is known (``wait a b`` prints
    one exit code as that container stops); a target's error goes into its report."""
    for target in targets:
        try:
            report = action(target)
        except PortsideError as e:
            report = TargetReport(target, error=e)
        yield report


class TargetService:
    """The multi-target verbs of containers, images, networks and volumes."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def start(self, refs: Iterable[str]) -> Iterator[TargetReport]:
        life = self.engine.lifecycle
        return each(refs, lambda ref: TargetReport(ref, life.start(ref).row.id))

    def stop(self, refs: Iterable[str], options: StopOptions) -> Iterator[TargetReport]:
        life = self.engine.lifecycle
        return each(refs, lambda ref: TargetReport(ref, life.stop(ref, options.timeout).id))

    def restart(self, refs: Iterable[str], options: StopOptions) -> Iterator[TargetReport]:
        life = self.engine.lifecycle
        return each(refs, lambda ref: TargetReport(ref, life.restart(ref, options.timeout).id))

    def kill(self, refs: Iterable[str], options: KillOptions) -> Iterator[TargetReport]:
        life = self.engine.lifecycle
        return each(refs, lambda ref: TargetReport(ref, life.kill(ref, options.signal).id))

    def pause(self, refs: Iterable[str]) -> Iterator[TargetReport]:
        return each(refs, _named(self.engine.lifecycle.pause))

    def unpause(self, refs: Iterable[str]) -> Iterator[TargetReport]:
        return each(refs, _named(self.engine.lifecycle.unpause))

    def wait(self, refs: Iterable[str]) -> Iterator[TargetReport]:
        life = self.engine.lifecycle
        return each(refs, lambda ref: TargetReport(ref, exit_code=life.wait(ref)))

    def update(self, refs: Iterable[str], options: UpdateOptions) -> Iterator[TargetReport]:
        life = self.engine.lifecycle
        return each(
            refs,
            lambda ref: TargetReport(ref, life.update(ref, options.limits, options.restart).id),
        )

    def remove(self, refs: Iterable[str], options: RemoveOptions) -> Iterator[TargetReport]:
        containers = self.engine.containers
        return each(
            refs,
            lambda ref: TargetReport(
                ref, containers.remove(ref, options.force, options.volumes).id
            ),
        )

    def remove_images(self, refs: Iterable[str], force: bool = False) -> Iterator[TargetReport]:
        """``rmi``: untag each name, and delete an image once nothing names it."""
        images = self.engine.images

        def remove(ref: str) -> TargetReport:
            removed = images.remove(ref, force=force)
            return TargetReport(
                ref, untagged=tuple(removed.untagged), deleted=tuple(removed.deleted)
            )

        return each(refs, remove)

    def remove_networks(self, refs: Iterable[str]) -> Iterator[TargetReport]:
        networks = self.engine.networks
        return each(refs, lambda ref: TargetReport(ref, networks.remove(ref).id))

    def remove_volumes(self, names: Iterable[str], force: bool = False) -> Iterator[TargetReport]:
        volumes = self.engine.volumes

        def remove(name: str) -> TargetReport:
            volumes.remove(name, force)
            return TargetReport(name, name)

        return each(names, remove)


def _named(action: Callable[[str], None]) -> Callable[[str], TargetReport]:
    """An action that returns nothing: its report has the target as given."""

    def report(target: str) -> TargetReport:
        action(target)
        return TargetReport(target)

    return report
