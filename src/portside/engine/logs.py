"""Reading a container's log (``logs``): the one reader every front end uses.

The monitor writes the log (``runtime.logs`` knows its format); this chooses the lines:
the last ``tail`` of them, those between ``since`` and ``until``, of the streams asked
for, each with its time stamp when asked, then, when following, new ones until the
container stops.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from ..records import dataclass
from ..runtime import logs as logfile

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from .containers import ContainerService


@dataclass(frozen=True)
class LogOptions:
    follow: bool = False  # then new lines until the container stops
    tail: int | None = None  # only the last N lines; None: all
    since: float | None = None  # Unix time; see log_time
    until: float | None = None
    timestamps: bool = False  # each line starts with its RFC 3339 time and a space
    stdout: bool = True
    stderr: bool = True


@dataclass(frozen=True)
class LogChunk:
    stream: str  # "stdout" or "stderr"
    data: bytes  # one line, with its newline when it was complete (and its time stamp)


def log_time(text: str) -> float:
    """``--since``/``--until``: RFC 3339, a Unix timestamp, or a duration before now."""
    return logfile.parse_time(text)


class LogService:
    def __init__(self, containers: ContainerService) -> None:
        self.containers = containers

    def read(
        self, ref: str, options: LogOptions, stopped: Callable[[], bool] = lambda: False
    ) -> Iterator[LogChunk]:
        """The container's log lines as ``options`` choose them, each as it comes; a
        followed log ends with the container, or when ``stopped()`` (its reader left)."""
        containers = self.containers
        container_id = containers.get(ref).id
        streams = {name for name in ("stdout", "stderr") if getattr(options, name)}
        lines = logfile.read(
            Path(containers.paths(container_id).log),
            options.tail,
            options.since,
            options.until,
            options.follow,
            lambda: not stopped() and containers.active(container_id),
        )
        for line in lines:
            if line.stream in streams:
                stamp = line.time.encode() + b" " if options.timestamps else b""
                yield LogChunk(line.stream, stamp + line.data)
