"""Signal names and numbers as Docker accepts them (``SIGTERM``, ``TERM``, ``15``)."""

from __future__ import annotations

import signal

from .errors import InvalidArgument


def parse_signal(text: str) -> int:
    value = text.strip()
    if value.isdigit():
        number = int(value)
        if 0 < number < signal.NSIG:
            return number
        raise InvalidArgument(f"Invalid signal: {text}")
    name = value.upper()
    if not name.startswith("SIG"):
        name = "SIG" + name
    sig = getattr(signal.Signals, name, None) if name in signal.Signals.__members__ else None
    if sig is None:
        raise InvalidArgument(f"Invalid signal: {text}")
    return int(sig)
