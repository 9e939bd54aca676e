"""Progress on a terminal (one redrawn line per layer); plain lines otherwise."""

from __future__ import annotations

import time
from typing import TextIO

from .units import human_size

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
