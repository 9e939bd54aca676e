"""Commands that act on several containers: one line (or one error) per target."""

from __future__ import annotations

from collections.abc import Callable

from ..errors import PortsideError
from .context import Context


def for_each(ctx: Context, targets: list[str], action: Callable[[str], str | None]) -> int:
    """Run ``action`` per target; print what it returns (the target by default)."""
    status = 0
    for target in targets:
        try:
            shown = action(target)
        except PortsideError as e:
            ctx.error(str(e))
            status = 1
            continue
        ctx.stdout.write(f"{target if shown is None else shown}\n")
        ctx.stdout.flush()
    return status
