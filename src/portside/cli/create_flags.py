"""The flags ``create`` and ``run`` share, and their translation to CreateOptions.

Options stop at the image name, as in Docker: everything after it is the command.
"""

from __future__ import annotations

from ..engine.container_options import (
    CreateOptions,
    LogConfig,
    Mount,
    PublishedPort,
    RestartPolicy,
)
from ..engine.health import Healthcheck
from ..engine.isolation import Device, Isolation
from ..engine.resources import Limits
from ..errors import InvalidArgument, RunRefused, UsageError
from ..signals import parse_signal
from .context import Parser
from .parser import Namespace


def add_flags(p: Parser) -> None:
    p.add_argument("--help", action="help", help="Print usage")
    p.add_argument(
        "-a", "--attach", action="append", default=[], help="Attach to STDIN, STDOUT or STDERR"
    )
    p.add_argument("--cap-add", action="append", default=[], help="Add Linux capabilities")
    p.add_argument("--cap-drop", action="append", default=[], help="Drop Linux capabilities")
    p.add_argument(
        "--entrypoint", default=None, help="Overwrite the default ENTRYPOINT of the image"
    )
    p.add_argument(
        "--add-host", action="append", default=[], help="Add a custom host-to-IP mapping (host:ip)"
    )
    p.add_argument("--dns", action="append", default=[], help="Set custom DNS servers")
    p.add_argument(
        "--dns-search", action="append", default=[], help="Set custom DNS search domains"
    )
    p.add_argument("-e", "--env", action="append", default=[], help="Set environment variables")
    p.add_argument(
        "--env-file", action="append", default=[], help="Read in a file of environment variables"
    )
    p.add_argument("-h", "--hostname", default=None, help="Container host name")
    p.add_argument("--init", action="store_true", help="Run an init inside the container")
    p.add_argument(
        "-i", "--interactive", action="store_true", help="Keep STDIN open even if not attached"
    )
    p.add_argument(
        "-l", "--label", action="append", default=[], help="Set meta data on a container"
    )
    p.add_argument(
        "--log-driver", default="", help="Logging driver for the container (json-file, k8s-file)"
    )
    p.add_argument(
        "--log-opt",
        action="append",
        default=[],
        help="Log driver options (max-size=10m, max-file=3)",
    )
    p.add_argument("--name", default=None, help="Assign a name to the container")
    p.add_argument(
        "--network",
        "--net",
        default="default",
        metavar="network",
        help="Connect a container to a network",
    )
    p.add_argument(
        "--network-alias",
        "--net-alias",
        action="append",
        default=[],
        help="Add network-scoped alias for the container",
    )
    p.add_argument(
        "--privileged", action="store_true", help="Give extended privileges to this container"
    )
    p.add_argument(
        "-p",
        "--publish",
        action="append",
        default=[],
        help="Publish a container's port(s) to the host",
    )
    p.add_argument(
        "-P",
        "--publish-all",
        action="store_true",
        help="Publish all exposed ports to random ports",
    )
    p.add_argument(
        "--pull",
        default="missing",
        choices=["missing", "never", "always"],
        help='Pull image before running ("always", "missing", "never")',
    )
    p.add_argument(
        "--read-only",
        action="store_true",
        help="Mount the container's root filesystem as read only",
    )
    p.add_argument("--restart", default="no", help="Restart policy to apply when a container exits")
    p.add_argument(
        "--rm", action="store_true", help="Automatically remove the container when it exits"
    )
    p.add_argument("--security-opt", action="append", default=[], help="Security Options")
    p.add_argument("--health-cmd", default="", help="Command to run to check health")
    for flag, what in (
        ("interval", "Time between running the check (ms|s|m|h) (default 0s)"),
        ("timeout", "Maximum time to allow one check to run (ms|s|m|h) (default 0s)"),
        (
            "start-period",
            "Start period for the container to initialize before starting "
            "health-retries countdown (ms|s|m|h) (default 0s)",
        ),
        (
            "start-interval",
            "Time between running the check during the start period (ms|s|m|h) (default 0s)",
        ),
    ):
        p.add_argument(f"--health-{flag}", default="", metavar="duration", help=what)
    p.add_argument(
        "--health-retries",
        type=int,
        default=0,
        help="Consecutive failures needed to report unhealthy",
    )
    p.add_argument(
        "--no-healthcheck", action="store_true", help="Disable any container-specified HEALTHCHECK"
    )
    p.add_argument("--stop-signal", default=None, help="Signal to stop the container")
    p.add_argument(
        "--stop-timeout", type=int, default=None, help="Timeout (in seconds) to stop a container"
    )
    p.add_argument("-t", "--tty", action="store_true", help="Allocate a pseudo-TTY")
    p.add_argument(
        "-u", "--user", default=None, help="Username or UID (format: <name|uid>[:<group|gid>])"
    )
    p.add_argument("-v", "--volume", action="append", default=[], help="Bind mount a volume")
    p.add_argument(
        "--mount",
        action="append",
        default=[],
        metavar="mount",
        help="Attach a filesystem mount to the container",
    )
    p.add_argument("--tmpfs", action="append", default=[], help="Mount a tmpfs directory")
    p.add_argument(
        "--volumes-from",
        action="append",
        default=[],
        help="Mount volumes from the specified container(s)",
    )
    add_limit_flags(p)
    p.add_argument("--ulimit", action="append", default=[], metavar="ulimit", help="Ulimit options")
    p.add_argument("--shm-size", default="", metavar="bytes", help="Size of /dev/shm")
    p.add_argument(
        "--device", action="append", default=[], help="Add a host device to the container"
    )
    p.add_argument("--group-add", action="append", default=[], help="Add additional groups to join")
    p.add_argument("--ipc", default="", help="IPC mode to use")
    p.add_argument("--pid", default="", help="PID namespace to use")
    p.add_argument("--uts", default="", help="UTS namespace to use")
    p.add_argument("--userns", default="", help="User namespace to use")
    p.add_argument("-w", "--workdir", default=None, help="Working directory inside the container")
    p.add_argument("image", nargs="?")
    p.add_argument("command", nargs="...")


def read_env_file(path: str) -> list[str]:
    try:
        with open(path) as f:
            lines = f.read().splitlines()
    except OSError as e:
        raise UsageError(f"open {path}: {(e.strerror or str(e)).lower()}") from None
    out = []
    for number, line in enumerate(lines, 1):
        text = line.lstrip()
        if not text or text.startswith("#"):
            continue
        key, eq, _ = text.partition("=")
        if not key or " " in key or "\t" in key:
            raise UsageError(
                f"invalid env file ({path}:{number}): variable '{key}' contains whitespaces"
                if key
                else f"invalid env file ({path}:{number}): no variable name"
            )
        out.append(text if eq else key)
    return out


def env_flags(args: Namespace) -> list[str]:
    """``--env-file`` entries, then ``-e`` ones (so -e wins), for create/run and exec."""
    return [e for path in args.env_file for e in read_env_file(path)] + list(args.env)


def options_from(args: Namespace, detach: bool = False) -> CreateOptions:
    if not args.image:
        raise UsageError("requires at least 1 argument")
    labels = {}
    for label in args.label:
        key, _, value = label.partition("=")
        labels[key] = value
    env = env_flags(args)
    try:
        restart = RestartPolicy.parse(args.restart)
        if args.stop_signal:
            parse_signal(args.stop_signal)
    except InvalidArgument as e:
        raise UsageError(str(e)) from None
    for stream in args.attach:
        if stream.lower() not in ("stdin", "stdout", "stderr"):
            raise UsageError(
                f'invalid argument "{stream}" for "-a, --attach" flag: '
                "valid streams are STDIN, STDOUT and STDERR"
            )
    if detach:
        attach: tuple[str, ...] = ()
    elif args.attach:
        attach = tuple(s.lower() for s in args.attach)
    else:
        attach = ("stdout", "stderr") + (("stdin",) if args.interactive else ())
    entrypoint = None
    if args.entrypoint is not None:
        import shlex  # with re and enum: only for --entrypoint

        entrypoint = shlex.split(args.entrypoint) if args.entrypoint else []
    try:
        return _options(args, restart, env, labels, entrypoint, attach)
    except InvalidArgument as e:  # a bad flag value: Docker's 125, as for flags it rejects
        raise RunRefused(e) from None


def _options(
    args: Namespace,
    restart: RestartPolicy,
    env: list[str],
    labels: dict[str, str],
    entrypoint: list[str] | None,
    attach: tuple[str, ...],
) -> CreateOptions:
    publish = tuple(p for spec in args.publish for p in PublishedPort.parse(spec))
    mounts = (
        *(Mount.parse_volume(v) for v in args.volume),
        *(Mount.parse_mount(m) for m in args.mount),
        *(Mount.parse_tmpfs(t) for t in args.tmpfs),
    )
    return CreateOptions(
        image=args.image,
        command=list(args.command) or None,
        entrypoint=entrypoint,
        name=args.name,
        env=tuple(env),
        workdir=args.workdir,
        user=args.user,
        hostname=args.hostname,
        tty=args.tty,
        stdin_open=args.interactive,
        labels=labels,
        auto_remove=args.rm,
        network=args.network,
        network_aliases=tuple(args.network_alias),
        mounts=mounts,
        volumes_from=tuple(args.volumes_from),
        log=LogConfig.parse(args.log_driver, args.log_opt)
        if args.log_driver or args.log_opt
        else None,
        limits=limits_of(args),
        isolation=Isolation(
            ipc=args.ipc,
            pid=args.pid,
            uts=args.uts,
            userns=args.userns,
            devices=tuple(Device.parse(d) for d in args.device),
            group_add=tuple(args.group_add),
        ),
        publish=publish,
        publish_all=args.publish_all,
        add_hosts=tuple(args.add_host),
        dns=tuple(args.dns),
        dns_search=tuple(args.dns_search),
        restart=restart,
        stop_signal=args.stop_signal,
        stop_timeout=args.stop_timeout,
        healthcheck=Healthcheck.from_flags(
            args.health_cmd,
            args.health_interval,
            args.health_timeout,
            args.health_start_period,
            args.health_start_interval,
            args.health_retries,
            args.no_healthcheck,
        ),
        init=args.init,
        privileged=args.privileged,
        cap_add=tuple(args.cap_add),
        cap_drop=tuple(args.cap_drop),
        security_opt=tuple(args.security_opt),
        read_only=args.read_only,
        attach=attach,
    )


def limits_of(args: Namespace) -> Limits:
    """The resource flags (run, create and update share them)."""
    return Limits.parse(
        memory=args.memory,
        memory_swap=args.memory_swap,
        cpus=args.cpus,
        cpu_shares=args.cpu_shares,
        cpuset_cpus=args.cpuset_cpus,
        pids_limit=args.pids_limit,
        ulimits=getattr(args, "ulimit", ()),
        shm_size=getattr(args, "shm_size", ""),
    )


def add_limit_flags(p: Parser) -> None:
    """The limits ``update`` can change too."""
    p.add_argument("-m", "--memory", default="", metavar="bytes", help="Memory limit")
    p.add_argument(
        "--memory-swap",
        default="",
        metavar="bytes",
        help="Swap limit equal to memory plus swap: '-1' to enable unlimited swap",
    )
    p.add_argument("--cpus", default="", metavar="decimal", help="Number of CPUs")
    p.add_argument(
        "-c", "--cpu-shares", type=int, default=None, help="CPU shares (relative weight)"
    )
    p.add_argument("--cpuset-cpus", default="", help="CPUs in which to allow execution (0-3, 0,1)")
    p.add_argument(
        "--pids-limit",
        type=int,
        default=None,
        help="Tune container pids limit (set -1 for unlimited)",
    )
