"""The one table of CLI verbs: what ``portside VERB`` and ``portside GROUP VERB`` run.

Dispatch (``main``, ``context.dispatch``), the help texts (the command lists of
``portside --help`` and of each management command) and ``completion bash`` are all
made from it, so a verb is added here once. A verb names the module in ``portside.cli``
whose ``run(ctx, argv)`` does it; the module is imported only when the verb runs.
"""

from __future__ import annotations

from ..records import dataclass


@dataclass(frozen=True)
class Verb:
    name: str
    module: str
    summary: str  # its line in the command list
    aliases: tuple[str, ...] = ()  # other names for it ("list" for "ls")
    listed: bool = True  # False: neither in help nor completed (an internal hook)


@dataclass(frozen=True)
class Group:
    """A management command (``portside container ...``)."""

    name: str
    summary: str
    verbs: tuple[Verb, ...]
    more_help: bool = True  # ends its help with "Run 'portside GROUP COMMAND --help' ..."
    module: str = ""  # one that parses the group's words itself instead of dispatch


# the verbs outside any group
VERBS: tuple[Verb, ...] = (
    Verb("attach", "attach", "Attach local standard input, output, and error streams to a running container"),  # noqa: E501
    Verb("build", "build", "Build an image from a Dockerfile"),
    Verb("commit", "commit", "Create a new image from a container's changes"),
    Verb("completion", "completion", "Generate the autocompletion script", listed=False),
    Verb("cp", "cp", "Copy files/folders between a container and the local filesystem"),
    Verb("create", "create", "Create a new container"),
    Verb("diff", "diff", "Inspect changes to files or directories on a container's filesystem"),
    Verb("events", "events", "Get real time events from the server"),
    Verb("exec", "exec_", "Execute a command in a running container"),
    Verb("export", "export", "Export a container's filesystem as a tar archive"),
    Verb("history", "history", "Show the history of an image"),
    Verb("images", "images", "List images"),
    Verb("import", "import_", "Import the contents from a tarball to create a filesystem image"),
    Verb("info", "info", "Display system-wide information"),
    Verb("inspect", "inspect", "Return low-level information on portside objects"),
    Verb("kill", "kill", "Kill one or more running containers"),
    Verb("load", "load", "Load an image from a tar archive or STDIN"),
    Verb("login", "login", "Authenticate to a registry"),
    Verb("logout", "login", "Log out from a registry"),
    Verb("logs", "logs", "Fetch the logs of a container"),
    Verb("pause", "pause", "Pause all processes within one or more containers"),
    Verb("port", "port", "List port mappings or a specific mapping for the container"),
    Verb("ps", "ps", "List containers"),
    Verb("pull", "pull", "Download an image from a registry"),
    Verb("push", "push", "Upload an image to a registry"),
    Verb("rename", "rename", "Rename a container"),
    Verb("restart", "restart", "Restart one or more containers"),
    Verb("rm", "rm", "Remove one or more containers"),
    Verb("rmi", "rmi", "Remove one or more images"),
    Verb("run", "run", "Create and run a new container from an image"),
    Verb("save", "save", "Save one or more images to a tar archive (streamed to STDOUT by default)"),  # noqa: E501
    Verb("start", "start", "Start one or more stopped containers"),
    Verb("stats", "stats", "Display a live stream of container(s) resource usage statistics"),
    Verb("stop", "stop", "Stop one or more running containers"),
    Verb("tag", "tag", "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE"),
    Verb("top", "top", "Display the running processes of a container"),
    Verb("unpause", "unpause", "Unpause all processes within one or more containers"),
    Verb("update", "update", "Update configuration of one or more containers"),
    Verb("version", "version", "Show the portside version information"),
    Verb("wait", "wait", "Block until one or more containers stop, then print their exit codes"),
)  # fmt: skip

TOP = {verb.name: verb for verb in VERBS}


def _same(name: str, *aliases: str, as_: str = "") -> Verb:
    """A group's verb that is a top-level verb under the same or another name
    (``container kill`` is ``kill``; ``container ls`` is ``ps``)."""
    verb = TOP[as_ or name]
    return Verb(name, verb.module, verb.summary, aliases)


GROUPS: tuple[Group, ...] = (
    Group(
        "builder",
        "Manage builds",
        (Verb("prune", "builder", "Remove build cache"),),
        more_help=False,
        module="builder",
    ),
    Group(
        "compose",
        "Define and run multi-container applications",
        (
            Verb("build", "compose_images", "Build or rebuild services"),
            Verb("config", "compose_config", "Parse, resolve and render compose file"),
            Verb("down", "compose_up", "Stop and remove containers, networks"),
            Verb("exec", "compose_exec", "Execute a command in a running container"),
            Verb("images", "compose_ps", "List images used by the created containers"),
            Verb("kill", "compose_targets", "Force stop service containers"),
            Verb("logs", "compose_logs", "View output from containers"),
            Verb("port", "compose_ps", "Print the public port for a port binding"),
            Verb("ps", "compose_ps", "List containers"),
            Verb("pull", "compose_images", "Pull service images"),
            Verb("push", "compose_images", "Push service images"),
            Verb("restart", "compose_targets", "Restart service containers"),
            Verb("rm", "compose_targets", "Removes stopped service containers"),
            Verb("run", "compose_exec", "Run a one-off command on a service"),
            Verb("start", "compose_targets", "Start services"),
            Verb("stop", "compose_targets", "Stop services"),
            Verb("top", "compose_ps", "Display the running processes"),
            Verb("up", "compose_up", "Create and start containers"),
        ),
        module="compose",
    ),
    Group(
        "container",
        "Manage containers",
        (
            _same("attach"),
            _same("commit"),
            _same("cp"),
            _same("create"),
            _same("diff"),
            _same("exec"),
            _same("export"),
            Verb("inspect", "inspect", "Display detailed information on one or more containers"),
            _same("kill"),
            _same("logs"),
            _same("ls", "list", as_="ps"),
            _same("pause"),
            _same("port"),
            Verb("prune", "container_prune", "Remove all stopped containers"),
            _same("rename"),
            _same("restart"),
            _same("rm", "remove"),
            _same("run"),
            _same("start"),
            _same("stats"),
            _same("stop"),
            _same("top"),
            _same("unpause"),
            _same("update"),
            _same("wait"),
            # conmon's exit hook, not for users
            Verb("cleanup", "container_cleanup", "", listed=False),
            # the healthcheck prober's report of a new status, not for users
            Verb("health-status", "container_health", "", listed=False),
        ),
    ),
    Group(
        "image",
        "Manage images",
        (
            _same("history"),
            _same("import"),
            Verb("inspect", "inspect", "Display detailed information on one or more images"),
            _same("load"),
            _same("ls", "list", as_="images"),
            Verb("prune", "image_prune", "Remove unused images"),
            _same("pull"),
            _same("push"),
            _same("rm", "remove", as_="rmi"),
            _same("save"),
            _same("tag"),
        ),
    ),
    Group(
        "network",
        "Manage networks",
        (
            Verb("connect", "network_verbs", "Connect a container to a network"),
            Verb("create", "network_verbs", "Create a network"),
            Verb("disconnect", "network_verbs", "Disconnect a container from a network"),
            Verb("inspect", "inspect", "Display detailed information on one or more networks"),
            Verb("ls", "network_verbs", "List networks", ("list",)),
            Verb("prune", "network_verbs", "Remove all unused networks"),
            Verb("rm", "network_verbs", "Remove one or more networks", ("remove",)),
        ),
    ),
    Group(
        "system",
        "Manage portside",
        (
            Verb("df", "df", "Show portside disk usage"),
            _same("info"),
            Verb("prune", "system_prune", "Remove unused data"),
            Verb("service", "system_service", "Serve the Docker Engine API on a socket"),
        ),
        more_help=False,
    ),
    Group(
        "volume",
        "Manage volumes",
        (
            Verb("create", "volume_verbs", "Create a volume"),
            Verb("inspect", "inspect", "Display detailed information on one or more volumes"),
            Verb("ls", "volume_verbs", "List volumes", ("list",)),
            Verb("prune", "volume_verbs", "Remove all unused local volumes"),
            Verb("rm", "volume_verbs", "Remove one or more volumes", ("remove",)),
        ),
    ),
)

GROUP = {group.name: group for group in GROUPS}


def group_verb(group: Group, name: str) -> Verb | None:
    """The verb ``name`` (or one of its aliases) of ``group``."""
    for verb in group.verbs:
        if name == verb.name or name in verb.aliases:
            return verb
    return None


def _command_lines(entries: list[tuple[str, str]]) -> str:
    return "".join(f"  {name:<12}{summary}\n" for name, summary in sorted(entries))


def usage() -> str:
    """``portside --help``."""
    groups = _command_lines([(g.name, g.summary) for g in GROUPS])
    verbs = _command_lines([(v.name, v.summary) for v in VERBS if v.listed])
    return (
        f"{_USAGE_HEAD}\nManagement Commands:\n{groups}\nCommands:\n{verbs}\n"
        "Run 'portside COMMAND --help' for more information on a command.\n"
    )


def group_usage(group: Group) -> str:
    """``portside GROUP --help``."""
    verbs = _command_lines([(v.name, v.summary) for v in group.verbs if v.listed])
    text = f"Usage:  portside {group.name} COMMAND\n\n{group.summary}\n\nCommands:\n{verbs}"
    if group.more_help:
        text += f"\nRun 'portside {group.name} COMMAND --help' for more information on a command.\n"
    return text


def paths() -> list[str]:
    """Every command users type, aliases too: "ps", "image ls", "image list" …"""
    out = [verb.name for verb in VERBS if verb.listed]
    for group in GROUPS:
        for verb in group.verbs:
            if verb.listed:
                out.extend(f"{group.name} {name}" for name in (verb.name, *verb.aliases))
    return out


_USAGE_HEAD = """\
Usage:  portside [OPTIONS] COMMAND

A daemonless, Docker-compatible container engine

Options:
      --config string    Configuration file (default "/etc/portside/portside.conf", env
                         PORTSIDE_CONFIG; /etc/docker/daemon.json is read too)
      --root string      Store root (default "/var/lib/portside", env PORTSIDE_ROOT)
      --runroot string   Runtime state root (default "/run/portside", env PORTSIDE_RUNROOT)
  -v, --version          Print version information and quit
  -h, --help             Print this help
"""
