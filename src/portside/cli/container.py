"""portside container COMMAND: the management command, dispatching to the verb modules."""

from __future__ import annotations

from .context import Context, dispatch

SUBCOMMANDS = {
    "attach": "attach",
    "commit": "commit",
    "cp": "cp",
    "create": "create",
    "diff": "diff",
    "exec": "exec_",
    "export": "export",
    "inspect": "inspect",
    "kill": "kill",
    "logs": "logs",
    "ls": "ps",
    "list": "ps",
    "pause": "pause",
    "port": "port",
    "prune": "container_prune",
    "rename": "rename",
    "restart": "restart",
    "rm": "rm",
    "remove": "rm",
    "run": "run",
    "start": "start",
    "stop": "stop",
    "top": "top",
    "unpause": "unpause",
    "update": "update",
    "stats": "stats",
    "wait": "wait",
    "cleanup": "container_cleanup",
}

USAGE = """\
Usage:  portside container COMMAND

Manage containers

Commands:
  attach      Attach local standard input, output, and error streams to a running container
  commit      Create a new image from a container's changes
  cp          Copy files/folders between a container and the local filesystem
  create      Create a new container
  diff        Inspect changes to files or directories on a container's filesystem
  exec        Execute a command in a running container
  export      Export a container's filesystem as a tar archive
  inspect     Display detailed information on one or more containers
  kill        Kill one or more running containers
  logs        Fetch the logs of a container
  ls          List containers
  pause       Pause all processes within one or more containers
  port        List port mappings or a specific mapping for the container
  prune       Remove all stopped containers
  rename      Rename a container
  restart     Restart one or more containers
  rm          Remove one or more containers
  run         Create and run a new container from an image
  start       Start one or more stopped containers
  stats       Display a live stream of container(s) resource usage statistics
  stop        Stop one or more running containers
  top         Display the running processes of a container
  unpause     Unpause all processes within one or more containers
  update      Update configuration of one or more containers
  wait        Block until one or more containers stop, then print their exit codes

Run 'portside container COMMAND --help' for more information on a command.
"""


def run(ctx: Context, argv: list[str]) -> int:
    return dispatch(ctx, "container", USAGE, SUBCOMMANDS, argv, {"remove": "rm", "list": "ls"})
