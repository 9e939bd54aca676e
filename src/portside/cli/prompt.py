"""Questions to the user at the terminal (the prune commands' "Are you sure")."""

from __future__ import annotations

import sys

from .context import Context


def confirm(ctx: Context, warning: str) -> bool:
    """Docker's prompt: the warning, then yes only for "y" or "yes"."""
    ctx.stdout.write(f"{warning}\nAre you sure you want to continue? [y/N] ")
    ctx.stdout.flush()
    answer = sys.stdin.readline().strip().lower() if not sys.stdin.closed else ""
    return answer in ("y", "yes")
