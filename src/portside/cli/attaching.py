"""Relaying an attached container to this terminal: output, stdin, window size, signals,
and the detach keys (ctrl-p ctrl-q). Shared by ``run``, ``start -a`` and ``attach``."""

from __future__ import annotations

import os
import signal
import socket
import sys
import termios
import tty as ttymod
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from ..engine.rows import ContainerRow
from .context import Context


@contextmanager
def raw_terminal(enabled: bool) -> Iterator[None]:
    if not enabled or not sys.stdin.isatty():
        yield
        return
    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    ttymod.setraw(fd)
    try:
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def _window_size() -> tuple[int, int] | None:
    for stream in (sys.stdout, sys.stdin, sys.stderr):
        try:
            size = os.get_terminal_size(stream.fileno())
            return size.lines, size.columns
        except OSError:
            continue
    return None


def relay(
    ctx: Context,
    row: ContainerRow,
    sock: socket.socket,
    sig_proxy: bool = True,
    stdin: bool | None = None,
) -> str:
    """Relay until the container's output ends; "exited" or "detached". Stdin goes to
    the container when it keeps stdin open and ``stdin`` (default: it was created
    attached to it) says so."""
    tty = bool(row.config.get("Tty"))
    wanted = bool(row.config.get("AttachStdin")) if stdin is None else stdin
    interactive = bool(row.config.get("OpenStdin")) and wanted
    attach = ctx.engine.attach
    previous: dict[signal.Signals, object] = {}

    def on_winch(signum: int, frame: FrameType | None) -> None:
        size = _window_size()
        if size:
            attach.resize(row.id, *size)

    def forward(signum: int, frame: FrameType | None) -> None:
        try:
            ctx.engine.lifecycle.kill(row.id, str(signum))
        except Exception:  # noqa: BLE001 - the container may be gone already
            pass

    if tty:
        previous[signal.SIGWINCH] = signal.signal(signal.SIGWINCH, on_winch)
        on_winch(signal.SIGWINCH, None)
    if sig_proxy and not tty:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
            previous[sig] = signal.signal(sig, forward)
    try:
        with raw_terminal(tty and interactive):
            outcome = attach.relay(
                sock,
                sys.stdout.buffer,
                sys.stderr.buffer,
                stdin=sys.stdin.buffer if interactive else None,
                detach_keys=b"\x10\x11" if interactive else b"",
            )
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)  # type: ignore[arg-type]
    if outcome == "detached":
        ctx.stderr.write("\r\nread escape sequence\r\n" if tty else "read escape sequence\n")
    return outcome
