"""portside system COMMAND"""

from __future__ import annotations

from .context import Context, dispatch

SUBCOMMANDS = {"df": "df", "info": "info", "prune": "system_prune"}

USAGE = """\
Usage:  portside system COMMAND

Manage portside

Commands:
  df          Show portside disk usage
  info        Display system-wide information
  prune       Remove unused data
"""


def run(ctx: Context, argv: list[str]) -> int:
    return dispatch(ctx, "system", USAGE, SUBCOMMANDS, argv)
