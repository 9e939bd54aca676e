"""portside network COMMAND: the management command, dispatching to the verb modules."""

from __future__ import annotations

from .context import Context, dispatch

SUBCOMMANDS = {
    "connect": "network_verbs",
    "create": "network_verbs",
    "disconnect": "network_verbs",
    "inspect": "inspect",
    "ls": "network_verbs",
    "list": "network_verbs",
    "prune": "network_verbs",
    "rm": "network_verbs",
    "remove": "network_verbs",
}

USAGE = """\
Usage:  portside network COMMAND

Manage networks

Commands:
  connect     Connect a container to a network
  create      Create a network
  disconnect  Disconnect a container from a network
  inspect     Display detailed information on one or more networks
  ls          List networks
  prune       Remove all unused networks
  rm          Remove one or more networks

Run 'portside network COMMAND --help' for more information on a command.
"""


def run(ctx: Context, argv: list[str]) -> int:
    return dispatch(ctx, "network", USAGE, SUBCOMMANDS, argv, {"remove": "rm", "list": "ls"})
