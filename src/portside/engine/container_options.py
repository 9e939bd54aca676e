"""What ``create``/``run`` take: a typed options object, turned into Docker's Config and
HostConfig JSON (what ``inspect`` shows and what the store keeps).

Front ends parse their own spelling once into these records (the CLI's ``-p``, ``-v``,
``--mount``, ``--tmpfs`` and ``--restart`` through the ``parse*`` constructors below,
docker-py's keyword arguments through the field-wise ones); the engine reads records.
"""

from __future__ import annotations

from ..errors import InvalidArgument
from ..records import dataclass, field
from ..store.volumes import MountRow
from .health import Healthcheck, merged_json
from .isolation import Isolation, security_options
from .isolation import host_config_fields as isolation_fields
from .resources import Limits, host_config_fields

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import Any

    from ..runtime.logs import Rotation

LOG_DRIVER = "k8s-file"  # conmon's log format, the one every container uses
LOG_DRIVERS = ("json-file", "k8s-file")  # accepted names; both are conmon's k8s-file
LOG_OPTS = ("max-size", "max-file")
RESTART_POLICIES = ("no", "always", "on-failure", "unless-stopped")
_NO_RETRIES = "maximum retry count cannot be used with restart policy '{}'"


@dataclass(frozen=True)
class RestartPolicy:
    name: str = "no"
    maximum_retry_count: int = 0

    def __post_init__(self) -> None:
        if self.name not in RESTART_POLICIES:
            raise InvalidArgument(f"invalid restart policy '{self.name}'")
        if self.maximum_retry_count and self.name != "on-failure":
            raise InvalidArgument(_NO_RETRIES.format(self.name))

    @classmethod
    def parse(cls, text: str) -> RestartPolicy:
        """``--restart NAME[:MAX_RETRIES]``."""
        name, _, count = (text or "no").partition(":")
        policy = cls(name)
        if count and name != "on-failure":
            raise InvalidArgument(_NO_RETRIES.format(name))
        if count and not count.isdigit():
            raise InvalidArgument(
                "invalid restart policy format: maximum retry count must be an integer"
            )
        return cls(name, int(count)) if count else policy

    def to_json(self) -> dict[str, Any]:
        return {
            "Name": "" if self.name == "no" else self.name,
            "MaximumRetryCount": self.maximum_retry_count,
        }


@dataclass(frozen=True)
class LogConfig:
    """``--log-driver`` and ``--log-opt`` (HostConfig.LogConfig): json-file's rotation,
    checked here; ``config`` keeps the options as given, as inspect shows them."""

    driver: str = "json-file"
    config: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.driver not in LOG_DRIVERS:
            raise InvalidArgument(f"logger: no log driver named '{self.driver}' is registered")
        for key in self.config:
            if key not in LOG_OPTS:
                raise InvalidArgument(f"unknown log opt '{key}' for {self.driver} log driver")
        self.rotation()

    @classmethod
    def parse(cls, driver: str, opts: list[str]) -> LogConfig:
        """``--log-driver NAME`` and ``--log-opt KEY=VALUE`` (repeated)."""
        config = {}
        for opt in opts:
            key, eq, value = opt.partition("=")
            if not eq:
                raise InvalidArgument(f"invalid log opt '{opt}': expected KEY=VALUE")
            config[key] = value
        return cls(driver or "json-file", config)

    @classmethod
    def of_api(cls, value: Any) -> LogConfig | None:
        """HostConfig.LogConfig ``{Type, Config}`` (docker-py's ``log_config``); an empty
        Type and Config: the default."""
        if not value:
            return None
        if not isinstance(value, dict):
            raise InvalidArgument(f"invalid LogConfig: {value!r}")
        config = value.get("Config") or value.get("config") or {}
        driver = value.get("Type") or value.get("type") or ""
        if not isinstance(config, dict):
            raise InvalidArgument(f"invalid LogConfig.Config: {config!r}")
        if not driver and not config:
            return None
        return cls(driver or "json-file", {str(k): str(v) for k, v in config.items()})

    def rotation(self) -> Rotation | None:
        """max-size and max-file as the log writer takes them; None: no rotation."""
        from ..runtime.logs import Rotation
        from ..units import parse_bytes

        size, count = self.config.get("max-size", ""), self.config.get("max-file", "")
        max_size = -1
        if size:
            try:
                max_size = parse_bytes(size)
            except ValueError:
                raise InvalidArgument(f"invalid max-size: {size!r} is not a size") from None
            if max_size <= 0:
                raise InvalidArgument(f"invalid max-size: {size!r} must be above 0")
        files = 1
        if count:
            if not count.isdigit() or int(count) < 1:
                raise InvalidArgument(f"invalid max-file: {count!r} must be at least 1")
            files = int(count)
            if files > 1 and max_size < 0:
                raise InvalidArgument("max-file cannot be set without max-size")
        return Rotation(max_size, files) if max_size > 0 else None

    def to_json(self) -> dict[str, Any]:
        return {"Type": self.driver, "Config": dict(self.config)}


@dataclass(frozen=True)
class PublishedPort:
    """A container port published on the host (``-p`` with a range gives one record
    per port)."""

    port: str  # as Docker keys it: "80/tcp"
    host_ip: str = ""  # "": every address
    host_port: str = ""  # "": a free port, chosen at start; "8000-8010": a free one of those

    def __post_init__(self) -> None:
        from ..network.ports import split_port

        if self.host_ip and not _is_ip(self.host_ip):
            raise InvalidArgument(f"invalid IP address: {self.host_ip}")
        try:
            if self.host_port:
                split_port(self.host_port)
        except ValueError:
            raise InvalidArgument(f"invalid hostPort: {self.host_port}") from None

    @classmethod
    def parse(cls, spec: str) -> tuple[PublishedPort, ...]:
        """``-p [IP:][HOSTPORT:]CTRPORT[/PROTO]`` (network/ports.py)."""
        from ..network.ports import parse_publish

        _, bindings = parse_publish(spec)
        return tuple(
            cls(port, b["HostIp"], b["HostPort"]) for port, binds in bindings.items() for b in binds
        )

    @classmethod
    def of(cls, port: str | int, host_ip: str = "", host_port: str | int = "") -> PublishedPort:
        """docker-py's ``ports`` entry: ``"80/tcp"`` (or ``80``) on ``host_port`` (any
        free one when empty) of ``host_ip`` (every address when empty)."""
        from ..network.ports import port_key

        return cls(port_key(str(port)), host_ip, str(host_port or ""))


@dataclass(frozen=True)
class Mount:
    """A mount asked for at create, parsed: ``-v`` (``flag="volume"``), ``--mount``
    ("mount") or ``--tmpfs`` ("tmpfs"), as docker-py's ``volumes``, ``mounts`` and
    ``tmpfs`` ask for them too. The flag decides what inspect shows it as (Binds,
    Mounts, Tmpfs) and what a missing bind source does (``-v`` makes it)."""

    flag: str
    row: MountRow  # what is mounted (engine/mounts.py)
    spec: str = ""  # -v's and --tmpfs's text as given, which Binds and Tmpfs keep

    @classmethod
    def parse_volume(cls, spec: str) -> Mount:
        """``-v [SOURCE:]DESTINATION[:MODE]``."""
        from .mounts import parse_volume

        return cls("volume", parse_volume(spec), spec)

    @classmethod
    def parse_mount(cls, text: str) -> Mount:
        """``--mount type=…,source=…,target=…``."""
        from .mounts import parse_mount

        return cls("mount", parse_mount(text))

    @classmethod
    def parse_tmpfs(cls, spec: str) -> Mount:
        """``--tmpfs /path[:OPTIONS]``."""
        from .mounts import parse_tmpfs

        return cls("tmpfs", parse_tmpfs(spec), spec)

    @classmethod
    def of(cls, *fields: Any, **named: Any) -> Mount:
        """A mount from the Engine API's fields (docker-py's ``docker.types.Mount``):
        type, target, source, readonly, propagation, nocopy, tmpfs_size, tmpfs_mode, as
        engine/mounts.py's ``mount_row`` takes and checks them."""
        from .mounts import mount_row

        return cls("mount", mount_row(*fields, **named))

    @classmethod
    def of_api(cls, m: dict[str, Any]) -> Mount:
        """A mount in the Engine API's spelling (``HostConfig.Mounts``, docker-py's
        ``docker.types.Mount``): Type, Target, Source, ReadOnly and the options."""
        tmpfs = m.get("TmpfsOptions") or {}
        return cls.of(
            m.get("Type") or "volume",
            m.get("Target") or "",
            source=m.get("Source") or "",
            readonly=bool(m.get("ReadOnly")),
            propagation=(m.get("BindOptions") or {}).get("Propagation") or "",
            nocopy=bool((m.get("VolumeOptions") or {}).get("NoCopy")),
            tmpfs_size=tmpfs.get("SizeBytes") or None,
            tmpfs_mode=tmpfs.get("Mode") or None,
        )

    @classmethod
    def tmpfs(cls, path: str, options: str = "") -> Mount:
        """A tmpfs at ``path`` with mount(8) ``options`` (docker-py's ``tmpfs``)."""
        from .mounts import tmpfs_row

        return cls("tmpfs", tmpfs_row(path, options), f"{path}:{options}" if options else path)


@dataclass(frozen=True)
class CreateOptions:
    image: str
    command: list[str] | None = None  # None: the image's Cmd
    entrypoint: list[str] | None = None  # None: the image's; []: cleared (--entrypoint "")
    name: str | None = None
    env: tuple[str, ...] = ()
    workdir: str | None = None
    user: str | None = None
    hostname: str | None = None
    tty: bool = False
    stdin_open: bool = False
    labels: dict[str, str] = field(default_factory=dict)
    auto_remove: bool = False
    network: str = "default"
    network_aliases: tuple[str, ...] = ()  # --network-alias, on a user-defined network
    restart: RestartPolicy = RestartPolicy()
    stop_signal: str | None = None
    stop_timeout: int | None = None
    healthcheck: Healthcheck | None = None  # None: the image's; Healthcheck.disabled(): none
    init: bool = False
    privileged: bool = False
    cap_add: tuple[str, ...] = ()
    cap_drop: tuple[str, ...] = ()
    security_opt: tuple[str, ...] = ()
    read_only: bool = False
    publish: tuple[PublishedPort, ...] = ()  # -p
    publish_all: bool = False  # -P
    add_hosts: tuple[str, ...] = ()  # --add-host NAME:IP (IP may be host-gateway)
    dns: tuple[str, ...] = ()
    dns_search: tuple[str, ...] = ()
    attach: tuple[str, ...] = ()  # streams attached at create: "stdin", "stdout", "stderr"
    mounts: tuple[Mount, ...] = ()  # -v, --mount and --tmpfs, in that order of precedence
    volumes_from: tuple[str, ...] = ()  # --volumes-from CONTAINER[:ro|rw]
    limits: Limits = Limits()  # -m, --cpus, --pids-limit … (engine/resources.py)
    isolation: Isolation = Isolation()  # --ipc, --pid, --uts, --device … (engine/isolation.py)
    log: LogConfig | None = None  # None: the configuration's log-opts, else no rotation

    def __post_init__(self) -> None:
        if self.auto_remove and self.restart.name != "no":
            raise InvalidArgument("Conflicting options: --restart and --rm")
        check_add_hosts(self.add_hosts)
        for server in self.dns:
            if not _is_ip(server):
                raise InvalidArgument(f"{server} is not an ip address")
        if self.mounts:
            from .mounts import resolve

            resolve([m.row for m in self.mounts], (), ())  # two at one place: refused now
        host_config_fields(self.limits)  # a bad limit: the error before anything is made
        isolation_fields(self.isolation, self.hostname is not None)
        security_options(self.security_opt)
        if self.cap_add or self.cap_drop:
            from .capabilities import effective_capabilities

            effective_capabilities(list(self.cap_add), list(self.cap_drop), self.privileged)


def merge_env(image_env: list[str] | None, extra: tuple[str, ...]) -> list[str]:
    """Image Env, then -e values (a later key wins; ``-e KEY`` takes the caller's value)."""
    import os

    out: dict[str, str] = {}
    for item in [*(image_env or []), *extra]:
        key, eq, value = item.partition("=")
        if not key:
            raise InvalidArgument(f"invalid environment variable: {item}")
        if not eq:
            if key not in os.environ:
                continue
            value = os.environ[key]
        out[key] = value
    return [f"{k}={v}" for k, v in out.items()]


def build_config(
    opts: CreateOptions, image_cfg: dict[str, Any], container_id: str
) -> dict[str, Any]:
    entrypoint = (
        image_cfg.get("Entrypoint") if opts.entrypoint is None else (opts.entrypoint or None)
    )
    if opts.command:
        cmd: list[str] | None = list(opts.command)
    elif opts.entrypoint is not None:
        cmd = None  # a new entrypoint drops the image's Cmd, as Docker does
    else:
        cmd = image_cfg.get("Cmd")
    labels = {**(image_cfg.get("Labels") or {}), **opts.labels}
    config: dict[str, Any] = {
        "Hostname": opts.hostname or container_id[:12],
        "Domainname": "",
        "User": opts.user if opts.user is not None else image_cfg.get("User", ""),
        "AttachStdin": "stdin" in opts.attach,
        "AttachStdout": "stdout" in opts.attach,
        "AttachStderr": "stderr" in opts.attach,
        "Tty": opts.tty,
        "OpenStdin": opts.stdin_open,
        "StdinOnce": opts.stdin_open and "stdin" in opts.attach,
        "Env": merge_env(image_cfg.get("Env"), opts.env),
        "Cmd": cmd,
        "Image": opts.image,
        "Volumes": _volumes(image_cfg.get("Volumes"), opts.mounts),
        "WorkingDir": opts.workdir if opts.workdir is not None else image_cfg.get("WorkingDir", ""),
        "Entrypoint": entrypoint,
        "OnBuild": None,
        "Labels": labels,
    }
    exposed = dict(image_cfg.get("ExposedPorts") or {})
    exposed.update((p.port, {}) for p in opts.publish)
    if exposed:
        config["ExposedPorts"] = exposed
    stop_signal = opts.stop_signal or image_cfg.get("StopSignal")
    if stop_signal:
        config["StopSignal"] = stop_signal
    if opts.stop_timeout is not None:
        config["StopTimeout"] = opts.stop_timeout
    healthcheck = merged_json(opts.healthcheck, image_cfg)
    if healthcheck:
        config["Healthcheck"] = healthcheck
    if image_cfg.get("Shell"):  # SHELL: what a CMD-SHELL healthcheck runs under
        config["Shell"] = image_cfg["Shell"]
    return config


def build_host_config(
    opts: CreateOptions, default_log: dict[str, str] | None = None, default_driver: str = ""
) -> dict[str, Any]:
    """``default_log``/``default_driver``: the configuration's log-opts and log-driver,
    for a create that gives none."""
    log = opts.log
    if log is None and (default_log or default_driver):
        log = LogConfig(default_driver or "json-file", dict(default_log or {}))
    return {
        "AutoRemove": opts.auto_remove,
        "RestartPolicy": opts.restart.to_json(),
        "NetworkMode": "bridge" if opts.network == "default" else opts.network,
        "Privileged": opts.privileged,
        "CapAdd": list(opts.cap_add) or None,
        "CapDrop": list(opts.cap_drop) or None,
        "SecurityOpt": list(opts.security_opt) or None,
        "ReadonlyRootfs": opts.read_only,
        "Init": opts.init or None,
        "Binds": [m.spec for m in opts.mounts if m.flag == "volume" and ":" in m.spec] or None,
        "Mounts": [_mount_json(m.row) for m in opts.mounts if m.flag == "mount"] or None,
        "Tmpfs": dict(m.spec.partition(":")[::2] for m in opts.mounts if m.flag == "tmpfs") or None,
        "VolumesFrom": list(opts.volumes_from) or None,
        "PortBindings": _port_bindings(opts.publish),
        "PublishAllPorts": opts.publish_all,
        "ExtraHosts": list(opts.add_hosts) or None,
        "Dns": list(opts.dns),
        "DnsSearch": list(opts.dns_search),
        "LogConfig": log.to_json() if log else {"Type": LOG_DRIVER, "Config": {}},
        **host_config_fields(opts.limits),
        **isolation_fields(opts.isolation, opts.hostname is not None),
    }


def log_rotation(host_config: dict[str, Any]) -> Rotation | None:
    """A created container's rotation (from what HostConfig.LogConfig kept)."""
    log = host_config.get("LogConfig") or {}
    if not log.get("Config"):
        return None
    return LogConfig(log.get("Type") or "json-file", dict(log["Config"])).rotation()


def _volumes(image: dict[str, Any] | None, given: tuple[Mount, ...]) -> dict[str, Any] | None:
    """Config.Volumes: the image's VOLUME paths and ``-v /path`` ones, as Docker's."""
    out = dict(image or {})
    out.update((m.spec, {}) for m in given if m.flag == "volume" and ":" not in m.spec)
    return out or None


def _mount_json(m: MountRow) -> dict[str, Any]:
    """HostConfig.Mounts: a ``--mount`` as the Engine API spells it."""
    out: dict[str, Any] = {"Type": m.type, "Source": m.source, "Target": m.destination}
    if m.readonly:
        out["ReadOnly"] = True
    if m.type == "bind" and m.propagation != "rprivate":
        out["BindOptions"] = {"Propagation": m.propagation}
    if m.options == "nocopy":
        out["VolumeOptions"] = {"NoCopy": True}
    return out


def _port_bindings(publish: tuple[PublishedPort, ...]) -> dict[str, Any]:
    bindings: dict[str, list[dict[str, str]]] = {}
    for p in publish:
        bindings.setdefault(p.port, []).append({"HostIp": p.host_ip, "HostPort": p.host_port})
    return bindings


def check_add_hosts(entries: tuple[str, ...]) -> None:
    """``--add-host NAME:IP`` entries (IP may be ``host-gateway``), as Docker checks them."""
    for entry in entries:
        name, sep, ip = entry.partition(":")
        if not sep or not name or not ip:
            raise InvalidArgument(f'bad format for add-host: "{entry}"')
        if ip != "host-gateway" and not _is_ip(ip):
            raise InvalidArgument(f'invalid IP address in add-host: "{ip}"')


def _is_ip(text: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
