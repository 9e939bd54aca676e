"""Entry point: global options, then one module per verb, imported only when used.

``portside --version`` imports nothing but this module and ``version``.
"""

from __future__ import annotations

import os
import sys

# verb -> module in portside.cli (each has ``run(ctx, argv) -> int``)
COMMANDS: dict[str, str] = {
    "attach": "attach",
    "build": "build",
    "builder": "builder",
    "commit": "commit",
    "completion": "completion",
    "cp": "cp",
    "create": "create",
    "diff": "diff",
    "exec": "exec_",
    "export": "export",
    "kill": "kill",
    "login": "login",
    "logout": "login",
    "logs": "logs",
    "pause": "pause",
    "port": "port",
    "ps": "ps",
    "pull": "pull",
    "push": "push",
    "rename": "rename",
    "restart": "restart",
    "rm": "rm",
    "run": "run",
    "start": "start",
    "stop": "stop",
    "top": "top",
    "unpause": "unpause",
    "update": "update",
    "stats": "stats",
    "wait": "wait",
    "container": "container",
    "history": "history",
    "images": "images",
    "import": "import_",
    "info": "info",
    "inspect": "inspect",
    "load": "load",
    "rmi": "rmi",
    "save": "save",
    "tag": "tag",
    "version": "version",
    "image": "image",
    "network": "network",
    "system": "system",
    "volume": "volume",
}

USAGE = """\
Usage:  portside [OPTIONS] COMMAND

A daemonless, Docker-compatible container engine

Options:
      --root string      Store root (default "/var/lib/portside", env PORTSIDE_ROOT)
      --runroot string   Runtime state root (default "/run/portside", env PORTSIDE_RUNROOT)
  -v, --version          Print version information and quit
  -h, --help             Print this help

Management Commands:
  builder     Manage builds
  container   Manage containers
  image       Manage images
  network     Manage networks
  system      Manage portside
  volume      Manage volumes

Commands:
  attach      Attach local standard input, output, and error streams to a running container
  build       Build an image from a Dockerfile
  commit      Create a new image from a container's changes
  cp          Copy files/folders between a container and the local filesystem
  create      Create a new container
  diff        Inspect changes to files or directories on a container's filesystem
  exec        Execute a command in a running container
  export      Export a container's filesystem as a tar archive
  history     Show the history of an image
  images      List images
  import      Import the contents from a tarball to create a filesystem image
  info        Display system-wide information
  inspect     Return low-level information on portside objects
  kill        Kill one or more running containers
  load        Load an image from a tar archive or STDIN
  login       Authenticate to a registry
  logout      Log out from a registry
  logs        Fetch the logs of a container
  pause       Pause all processes within one or more containers
  port        List port mappings or a specific mapping for the container
  ps          List containers
  pull        Download an image from a registry
  push        Upload an image to a registry
  rename      Rename a container
  restart     Restart one or more containers
  rm          Remove one or more containers
  rmi         Remove one or more images
  run         Create and run a new container from an image
  save        Save one or more images to a tar archive (streamed to STDOUT by default)
  start       Start one or more stopped containers
  stats       Display a live stream of container(s) resource usage statistics
  stop        Stop one or more running containers
  tag         Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE
  top         Display the running processes of a container
  unpause     Unpause all processes within one or more containers
  update      Update configuration of one or more containers
  version     Show the portside version information
  wait        Block until one or more containers stop, then print their exit codes

Run 'portside COMMAND --help' for more information on a command.
"""


def _split_globals(argv: list[str]) -> tuple[dict[str, str], list[str]]:
    """Take the global options that come before the verb."""
    opts: dict[str, str] = {}
    i = 0
    while i < len(argv):
        arg = argv[i]
        if not arg.startswith("-") or arg == "-":
            break
        name, eq, value = arg.partition("=")
        if name in ("--root", "--runroot", "--runtime", "--log-level"):
            if not eq:
                if i + 1 >= len(argv):
                    _usage_error(f"flag needs an argument: {name}")
                value = argv[i + 1]
                i += 1
            opts[name[2:]] = value
        elif name in ("-v", "--version", "-h", "--help", "-D", "--debug"):
            opts[name.lstrip("-")] = "1"
        else:
            _usage_error(f"unknown flag: {name}")
        i += 1
    return opts, argv[i:]


def _usage_error(message: str) -> None:
    sys.stderr.write(f"{message}\nSee 'portside --help'.\n")
    raise SystemExit(125)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    opts, rest = _split_globals(args)
    if "v" in opts or "version" in opts:
        from ..version import __version__

        sys.stdout.write(f"portside version {__version__}\n")
        return 0
    if not rest or "h" in opts or "help" in opts:
        sys.stdout.write(USAGE)
        return 0
    verb, verb_args = rest[0], rest[1:]
    module_name = COMMANDS.get(verb)
    if module_name is None:
        sys.stderr.write(f"portside: '{verb}' is not a portside command.\nSee 'portside --help'\n")
        return 1
    from .context import Context, run_command

    ctx = Context(
        root=opts.get("root"),
        runroot=opts.get("runroot"),
        runtime=opts.get("runtime"),
        debug="D" in opts or "debug" in opts or opts.get("log-level") == "debug",
    )
    return run_command(ctx, verb, module_name, verb_args)


def entry() -> None:  # pragma: no cover - console script
    raise SystemExit(main())


if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    raise SystemExit(main())
