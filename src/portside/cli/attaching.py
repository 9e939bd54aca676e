"""Relaying an attached container to this terminal: output, stdin, window size, signals,
and the detach keys (ctrl-p ctrl-q). Shared by ``run``, ``start -a`` and ``attach``."""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    import signal as _signal  # typeshed has no stub for _signal, which signal re-exports
    from _socket import socket
    from types import FrameType, TracebackType
    from typing import Any

    from ..engine.rows import ContainerRow
    from .context import Context
else:
    import _signal  # signal's own enums cost run about 5 ms to import


class RawTerminal:
    """This terminal in raw mode while attached with ``enabled`` (a tty container that
    takes stdin), and as it was afterwards."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stdin.isatty()
        self.saved: list[Any] = []

    def __enter__(self) -> None:
        if self.enabled:
            import termios
            import tty

            fd = sys.stdin.fileno()
            self.saved = termios.tcgetattr(fd)
            tty.setraw(fd)

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.enabled:
            import termios

            termios.tcsetattr(sys.stdin.fileno(), termios.TCSADRAIN, self.saved)


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
    sock: socket,
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
    previous: dict[int, object] = {}

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
        previous[_signal.SIGWINCH] = _signal.signal(_signal.SIGWINCH, on_winch)
        on_winch(_signal.SIGWINCH, None)
    if sig_proxy and not tty:
        for sig in (_signal.SIGINT, _signal.SIGTERM, _signal.SIGHUP, _signal.SIGQUIT):
            previous[sig] = _signal.signal(sig, forward)
    try:
        with RawTerminal(tty and interactive):
            outcome = attach.relay(
                sock,
                sys.stdout.buffer,
                sys.stderr.buffer,
                stdin=sys.stdin.buffer if interactive else None,
                detach_keys=b"\x10\x11" if interactive else b"",
            )
    finally:
        for number, handler in previous.items():
            _signal.signal(number, handler)  # type: ignore[arg-type]
    if outcome == "detached":
        ctx.stderr.write("\r\nread escape sequence\r\n" if tty else "read escape sequence\n")
    return outcome
