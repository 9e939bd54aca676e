"""Signal names and numbers as Docker accepts them (``SIGTERM``, ``TERM``, ``15``).

Read from ``_signal``: the ``signal`` module adds enums that cost ``run`` about 5 ms to
import."""

from __future__ import annotations

from .errors import InvalidArgument

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    import signal as _signal  # typeshed has no stub for _signal, which signal re-exports
else:
    import _signal


def parse_signal(text: str) -> int:
    value = text.strip()
    if value.isdigit():
        number = int(value)
        if 0 < number < _signal.NSIG:
            return number
        raise InvalidArgument(f"Invalid signal: {text}")
    name = value.upper()
    if not name.startswith("SIG"):
        name = "SIG" + name
    number = _NUMBERS.get(name, 0)
    if not number:
        raise InvalidArgument(f"Invalid signal: {text}")
    return number


# the names signal.Signals has: SIGRTMIN and SIGRTMAX too, not SIG_DFL, SIG_IGN, SIG_BLOCK
_NUMBERS = {
    name: number
    for name, number in vars(_signal).items()
    if name.startswith("SIG") and not name.startswith("SIG_") and isinstance(number, int)
}
