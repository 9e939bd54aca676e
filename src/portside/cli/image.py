"""portside image COMMAND: the management command, dispatching to the verb modules."""

from __future__ import annotations

from .context import Context, dispatch

SUBCOMMANDS = {
    "history": "history",
    "import": "import_",
    "inspect": "inspect",
    "load": "load",
    "ls": "images",
    "list": "images",
    "prune": "image_prune",
    "pull": "pull",
    "push": "push",
    "rm": "rmi",
    "remove": "rmi",
    "save": "save",
    "tag": "tag",
}

USAGE = """\
Usage:  portside image COMMAND

Manage images

Commands:
  history     Show the history of an image
  import      Import the contents from a tarball to create a filesystem image
  inspect     Display detailed information on one or more images
  load        Load an image from a tar archive or STDIN
  ls          List images
  prune       Remove unused images
  pull        Download an image from a registry
  push        Upload an image to a registry
  rm          Remove one or more images
  save        Save one or more images to a tar archive (streamed to STDOUT by default)
  tag         Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE

Run 'portside image COMMAND --help' for more information on a command.
"""


def run(ctx: Context, argv: list[str]) -> int:
    return dispatch(ctx, "image", USAGE, SUBCOMMANDS, argv, {"list": "ls", "remove": "rm"})
