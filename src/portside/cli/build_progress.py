"""build's ``--progress``: how the builder's lines reach the person or the program
reading them.

The builder speaks in the classic builder's lines (docs/build.md): ``Step N/M : TEXT``
opens a step, `` ---> Using cache`` says it came from the cache, `` ---> Cache miss:
WHY`` why not, `` ---> Running in ID`` that its command starts, `` ---> KEY`` (12 hex
digits) that it is done; any other line is what the step's command printed. A stage
built beside others prefixes each of its lines with ``[STAGE] ``. The modes:

- ``plain``: the lines as they come (what ``docker build`` without BuildKit prints);
- ``rawjson``: BuildKit's status stream, one JSON object per line as ``buildx
  --progress=rawjson`` prints them (``vertexes`` with ``digest``, ``name`` ``[N/M]
  TEXT``, ``started``, ``completed``, ``cached``, ``error``; ``logs`` with ``vertex``,
  ``stream``, base64 ``data``, ``timestamp``), for tools that read it;
- ``tty``: a view redrawn in place, BuildKit's: a header with the time and steps
  done, a line per step (``CACHED``, or its time and why it missed the cache), and
  the last lines of what the running steps print. It needs a terminal: elsewhere
  it prints ``plain``;
- ``auto``: ``tty`` on a terminal, else ``plain``.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable

from .. import fastjson
from ..errors import InvalidArgument
from ..ids import sha256_hex
from ..records import dataclass, field

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from re import Pattern
    from typing import TextIO

MODES = ("auto", "plain", "tty", "rawjson")
_MISS = " ---> Cache miss: "
_TAIL = 6  # the tty view's lines of a running step's output


@functools.cache
def _patterns() -> tuple[Pattern[str], Pattern[str], Pattern[str]]:
    """A step's first line, its last, and a stage's prefix; compiled at the first line
    a view reads (re costs ``build -q`` and plain output ~7 ms to import)."""
    import re

    return (
        re.compile(r"^Step (\d+)/(\d+) : (.*)$"),
        re.compile(r"^ ---> [0-9a-f]{12}$"),
        re.compile(r"^\[([^\]\s]+)\] (.*)$"),
    )


def check_mode(mode: str) -> str:
    if mode not in MODES:
        raise InvalidArgument(f'invalid progress mode "{mode}": auto, plain, tty or rawjson')
    return mode


@dataclass
class Vertex:
    digest: str
    name: str
    started: float
    completed: float | None = None
    cached: bool = False
    error: str = ""
    tail: list[str] = field(default_factory=list)
    internal: bool = False  # lines outside any step: their tail stays in the view
    miss: str = ""  # why it missed the cache, in portside's words


class Steps:
    """The builder's lines read back into steps (BuildKit's vertexes): what the
    rawjson and tty modes draw. ``internal`` is the vertex of lines outside any step."""

    def __init__(self) -> None:
        self.vertexes: list[Vertex] = []
        self.current: dict[str, Vertex] = {}  # a stage's prefix ("" none) -> its open step

    def line(self, text: str) -> None:
        step_line, done_line, prefixed = _patterns()
        label, body = "", text
        m = prefixed.match(text)
        if m is not None and (m.group(1) in self.current or step_line.match(m.group(2))):
            label, body = m.group(1), m.group(2)
        now = time.time()
        step = step_line.match(body)
        vertex = self.current.get(label)
        if step is not None:
            self._finish(vertex, now)
            name = f"[{step.group(1)}/{step.group(2)}] {step.group(3)}"
            digest = "sha256:" + sha256_hex(f"{label}\0{name}")
            self.current[label] = Vertex(digest, name, now)
            self.vertexes.append(self.current[label])
            self.changed(self.current[label])
            return
        if vertex is None or vertex.completed is not None:
            self._internal(body, now)
        elif body == " ---> Using cache":
            vertex.cached = True
            self.changed(vertex)
        elif done_line.match(body):
            self._finish(vertex, now)
        elif body.startswith(_MISS):
            vertex.miss = body[len(_MISS) :]
            self.changed(vertex)
        elif not body.startswith(" ---> "):  # not "Running in …"
            vertex.tail = [*vertex.tail, body][-_TAIL:]
            self.logged(vertex, body, now)

    def _internal(self, body: str, now: float) -> None:
        """Lines outside any step ("Successfully built …", pulls, the directives'
        notes) make a vertex of their own, named by the first of them; the next ones
        are its log."""
        digest = "sha256:" + sha256_hex(f"internal\0{body}")
        self.current[""] = Vertex(digest, body, now, internal=True)
        self.vertexes.append(self.current[""])
        self.changed(self.current[""])

    def _finish(self, vertex: Vertex | None, now: float) -> None:
        if vertex is not None and vertex.completed is None:
            vertex.completed = now
            self.changed(vertex)

    def fail(self, message: str) -> None:
        """The build failed: its open steps end with ``message``."""
        now = time.time()
        for vertex in self.current.values():
            if vertex.completed is None:
                vertex.error, vertex.completed = message, now
                self.changed(vertex)

    def close(self) -> None:
        now = time.time()
        for vertex in self.current.values():
            self._finish(vertex, now)

    # what a mode draws ------------------------------------------------------------
    def changed(self, vertex: Vertex) -> None:
        pass

    def logged(self, vertex: Vertex, line: str, now: float) -> None:
        pass


def _rfc3339(epoch: float) -> str:
    from ..timefmt import format_rfc3339

    return format_rfc3339(epoch)


class RawJSON(Steps):
    """BuildKit's SolveStatus, one object per line."""

    def __init__(self, out: TextIO) -> None:
        super().__init__()
        self.out = out

    def _write(self, status: dict[str, object]) -> None:
        self.out.write(fastjson.dumps(status, separators=(",", ":")) + "\n")
        self.out.flush()

    def changed(self, vertex: Vertex) -> None:
        shown: dict[str, object] = {"digest": vertex.digest, "name": vertex.name}
        shown["started"] = _rfc3339(vertex.started)
        if vertex.completed is not None:
            shown["completed"] = _rfc3339(vertex.completed)
        if vertex.cached:
            shown["cached"] = True
        if vertex.error:
            shown["error"] = vertex.error
        self._write({"vertexes": [shown]})

    def logged(self, vertex: Vertex, line: str, now: float) -> None:
        import base64

        data = base64.b64encode((line + "\n").encode()).decode()
        log = {"vertex": vertex.digest, "stream": 1, "data": data, "timestamp": _rfc3339(now)}
        self._write({"logs": [log]})


class TTY(Steps):
    """A view redrawn in place: at most ``_TAIL`` lines of each running step."""

    def __init__(self, out: TextIO) -> None:
        super().__init__()
        self.out = out
        self.began = time.time()
        self.drawn = 0  # lines the last drawing took, to go back over
        self.last = 0.0

    def changed(self, vertex: Vertex) -> None:
        self._draw()

    def logged(self, vertex: Vertex, line: str, now: float) -> None:
        if now - self.last >= 0.05:  # a step that prints fast is not redrawn per line
            self._draw()

    def fail(self, message: str) -> None:
        super().fail(message)
        self._draw()

    def close(self) -> None:
        super().close()
        self._draw()

    def _draw(self) -> None:
        now = time.time()
        self.last = now
        done = sum(1 for v in self.vertexes if v.completed is not None)
        lines = [f"[+] Building {now - self.began:.1f}s ({done}/{len(self.vertexes)})"]
        for v in self.vertexes:
            took = (v.completed or now) - v.started
            state = "CACHED " if v.cached else "ERROR " if v.error else ""
            why = f"  (miss: {v.miss})" if v.miss else ""
            lines.append(f" => {state}{v.name}  {took:.1f}s{why}")
            if v.completed is None or v.error or v.internal:
                lines += [f" => => {t}" for t in v.tail]
        width, height = _size(self.out)
        lines = lines[:1] + lines[1:][-(height - 2) :]  # the newest steps fit the screen
        up = f"\x1b[{self.drawn}F" if self.drawn else ""
        self.out.write(up + "".join(f"\x1b[2K{line[: width - 1]}\n" for line in lines))
        self.out.flush()
        self.drawn = len(lines)


def _size(out: TextIO) -> tuple[int, int]:
    import os

    try:
        size = os.get_terminal_size(out.fileno())
    except (OSError, ValueError):
        return 80, 24
    # a terminal that does not say its size (0x0) gets the classic 80x24
    return max(size.columns or 80, 20), max(size.lines or 24, 4)


class Plain:
    """The lines as they come."""

    def __init__(self, write: Callable[[str], None]) -> None:
        self.line = write

    def fail(self, message: str) -> None:
        pass

    def close(self) -> None:
        pass


def progress(mode: str, out: TextIO, plain: Callable[[str], None]) -> Steps | Plain:
    """The renderer for ``mode``; ``plain`` writes a plain line."""
    if mode == "auto":
        mode = "tty" if out.isatty() else "plain"
    if mode == "rawjson":
        return RawJSON(out)
    if mode == "tty" and out.isatty():
        return TTY(out)
    return Plain(plain)
