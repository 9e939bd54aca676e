"""portside system COMMAND"""

from __future__ import annotations

from .context import Context, dispatch

SUBCOMMANDS = {"info": "info"}

USAGE = """\
Usage:  portside system COMMAND

Manage portside

Commands:
  info        Display system-wide information
"""


def run(ctx: Context, argv: list[str]) -> int:
    return dispatch(ctx, "system", USAGE, SUBCOMMANDS, argv)
