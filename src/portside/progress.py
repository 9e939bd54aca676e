"""Progress on a terminal (one redrawn line per layer); plain lines otherwise."""

from __future__ import annotations

import time
from _thread import allocate_lock  # threading's Lock, without importing threading
from collections.abc import Callable

from .units import human_size

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import TextIO

_BAR = 50


class ByteProgress:
    """Renders engine progress callbacks ``(event, layer, done, total)``."""

    def __init__(self, out: TextIO, verb: str) -> None:
        self.out = out
        self.verb = verb
        self.tty = out.isatty()
        self._last = 0.0
        self._drawn = False

    def update(self, event: str, layer: str, done: int, total: int) -> None:
        short = layer.removeprefix("sha256:")[:12]
        label = f"{self.verb} layer {short}" if short else self.verb
        if event == "exists":
            self._line(f"{label}: already exists")
        elif event == "done":
            if self.tty or short:
                self._line(f"{label}: {human_size(done)} done")
        elif self.tty:
            now = time.monotonic()
            if now - self._last < 0.1:
                return
            self._last = now
            self._draw(label, done, total)

    def _draw(self, label: str, done: int, total: int) -> None:
        if total:
            filled = int(_BAR * min(done, total) / total)
            bar = (
                "["
                + "=" * max(filled - 1, 0)
                + (">" if filled else "")
                + " " * (_BAR - filled)
                + "]"
            )
            text = f"{label} {bar} {human_size(done)}/{human_size(total)}"
        else:
            text = f"{label} {human_size(done)}"
        self.out.write("\r\x1b[2K" + text)
        self.out.flush()
        self._drawn = True

    def _line(self, text: str) -> None:
        if self._drawn:
            self.out.write("\r\x1b[2K")
            self._drawn = False
        self.out.write(text + "\n")
        self.out.flush()

    def close(self) -> None:
        if self._drawn:
            self.out.write("\r\x1b[2K")
            self.out.flush()
            self._drawn = False


class LayerProgress:
    """Pull and push progress as Docker shows it without a terminal: a line per layer
    status (``0b4c…: Pull complete``), none for byte counts. Safe to call from the
    threads that move layers in parallel."""

    def __init__(self, write: Callable[[str], object]) -> None:
        self._write = write
        self._lock = allocate_lock()

    def line(self, text: str) -> None:
        """A line about the whole transfer (``Digest: …``)."""
        with self._lock:
            self._emit(None, text)

    def status(self, layer: str, text: str) -> None:
        with self._lock:
            self._emit(layer, f"{layer}: {text}")

    def bytes(self, layer: str, text: str, done: int, total: int) -> None:
        """Bytes moved so far (``Downloading``, ``Pushing``): a bar on a terminal."""

    def _emit(self, layer: str | None, text: str) -> None:
        self._write(text)

    def close(self) -> None:
        """Done: nothing is redrawn after this."""


class TerminalLayerProgress(LayerProgress):
    """On a terminal, as Docker draws it: one line per layer, redrawn in place (the
    cursor moves up to it and back), with a bar while bytes move."""

    def __init__(self, out: TextIO) -> None:
        super().__init__(out.write)
        self.out = out
        self._rows: dict[str, int] = {}
        self._last: dict[str, float] = {}

    def bytes(self, layer: str, text: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self._last.get(layer, 0.0) < 0.1 and done < total:
            return
        self._last[layer] = now
        with self._lock:
            self._emit(layer, f"{layer}: {text} {_bar(done, total)}")

    def _emit(self, layer: str | None, text: str) -> None:
        if layer is None:
            self.out.write(text + "\n")
            self._rows.clear()  # lines below the layers: they are not redrawn any more
        elif layer not in self._rows:
            self._rows[layer] = len(self._rows)
            self.out.write("\x1b[2K" + text + "\n")
        else:
            up = len(self._rows) - self._rows[layer]
            self.out.write(f"\x1b[{up}A\x1b[2K\r{text}\x1b[{up}B\r")
        self.out.flush()


def _bar(done: int, total: int) -> str:
    """Docker's bar: ``[=====>     ]  10.5MB/50MB``."""
    if total <= 0:
        return human_size(done)
    filled = int(_BAR * min(done, total) / total)
    arrow = "=" * max(filled - 1, 0) + (">" if filled else "")
    return f"[{arrow.ljust(_BAR)}]  {human_size(done)}/{human_size(total)}"


def layer_progress(out: TextIO, quiet: bool = False) -> LayerProgress:
    """Bars on a terminal, plain lines otherwise, nothing with ``quiet``."""
    if quiet:
        return LayerProgress(lambda text: None)
    if out.isatty():
        return TerminalLayerProgress(out)

    def write(text: str) -> None:
        out.write(text + "\n")
        out.flush()

    return LayerProgress(write)
