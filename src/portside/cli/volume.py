"""portside volume COMMAND: the management command, dispatching to the verb modules."""

from __future__ import annotations

from .context import Context, dispatch

SUBCOMMANDS = {
    "create": "volume_verbs",
    "inspect": "inspect",
    "ls": "volume_verbs",
    "list": "volume_verbs",
    "prune": "volume_verbs",
    "rm": "volume_verbs",
    "remove": "volume_verbs",
}

USAGE = """\
Usage:  portside volume COMMAND

Manage volumes

Commands:
  create      Create a volume
  inspect     Display detailed information on one or more volumes
  ls          List volumes
  prune       Remove all unused local volumes
  rm          Remove one or more volumes

Run 'portside volume COMMAND --help' for more information on a command.
"""


def run(ctx: Context, argv: list[str]) -> int:
    return dispatch(ctx, "volume", USAGE, SUBCOMMANDS, argv, {"remove": "rm", "list": "ls"})
