"""What ``create``/``run`` take: a typed options object, turned into Docker's Config and
HostConfig JSON (what ``inspect`` shows and what the store keeps)."""

from __future__ import annotations

from typing import Any

from ..errors import InvalidArgument
from ..records import dataclass, field
from .isolation import Isolation, security_options
from .isolation import host_config_fields as isolation_fields
from .resources import Limits, host_config_fields

LOG_DRIVER = "k8s-file"  # conmon's log format, the one every container uses
RESTART_POLICIES = ("no", "always", "on-failure", "unless-stopped")


@dataclass(frozen=True)
class RestartPolicy:
    name: str = "no"
    maximum_retry_count: int = 0

    @classmethod
    def parse(cls, text: str) -> RestartPolicy:
        name, _, count = (text or "no").partition(":")
        if name not in RESTART_POLICIES:
            raise InvalidArgument(f"invalid restart policy '{name}'")
        if count:
            if name != "on-failure":
                raise InvalidArgument(
                    f"maximum retry count cannot be used with restart policy '{name}'"
                )
            if not count.isdigit():
                raise InvalidArgument(
                    "invalid restart policy format: maximum retry count must be an integer"
                )
        return cls(name, int(count or 0))

    def to_json(self) -> dict[str, Any]:
        return {
            "Name": "" if self.name == "no" else self.name,
            "MaximumRetryCount": self.maximum_retry_count,
        }


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
    init: bool = False
    privileged: bool = False
    cap_add: tuple[str, ...] = ()
    cap_drop: tuple[str, ...] = ()
    security_opt: tuple[str, ...] = ()
    read_only: bool = False
    publish: tuple[str, ...] = ()  # -p values, Docker's syntax (network/ports.py)
    publish_all: bool = False  # -P
    add_hosts: tuple[str, ...] = ()  # --add-host NAME:IP (IP may be host-gateway)
    dns: tuple[str, ...] = ()
    dns_search: tuple[str, ...] = ()
    attach: tuple[str, ...] = ()  # streams attached at create: "stdin", "stdout", "stderr"
    volumes: tuple[str, ...] = ()  # -v [SOURCE:]DEST[:MODE] (engine/mounts.py)
    mounts: tuple[str, ...] = ()  # --mount type=…,source=…,target=…
    tmpfs: tuple[str, ...] = ()  # --tmpfs /path[:OPTIONS]
    volumes_from: tuple[str, ...] = ()  # --volumes-from CONTAINER[:ro|rw]
    limits: Limits = Limits()  # -m, --cpus, --pids-limit … (engine/resources.py)
    isolation: Isolation = Isolation()  # --ipc, --pid, --uts, --device … (engine/isolation.py)

    def __post_init__(self) -> None:
        if self.auto_remove and self.restart.name != "no":
            raise InvalidArgument("Conflicting options: --restart and --rm")
        for entry in self.add_hosts:
            name, sep, ip = entry.partition(":")
            if not sep or not name or not ip:
                raise InvalidArgument(f'bad format for add-host: "{entry}"')
            if ip != "host-gateway" and not _is_ip(ip):
                raise InvalidArgument(f'invalid IP address in add-host: "{ip}"')
        for server in self.dns:
            if not _is_ip(server):
                raise InvalidArgument(f"{server} is not an ip address")
        if self.publish:
            from ..network.ports import parse_publishes

            parse_publishes(self.publish)  # malformed -p: the error before anything is made
        if self.volumes or self.mounts or self.tmpfs:
            from .mounts import resolve

            resolve(self.volumes, self.mounts, self.tmpfs, (), ())  # likewise for mounts
        host_config_fields(self.limits)  # and for limits
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
        "Volumes": _volumes(image_cfg.get("Volumes"), opts.volumes),
        "WorkingDir": opts.workdir if opts.workdir is not None else image_cfg.get("WorkingDir", ""),
        "Entrypoint": entrypoint,
        "OnBuild": None,
        "Labels": labels,
    }
    exposed = dict(image_cfg.get("ExposedPorts") or {})
    if opts.publish:
        from ..network.ports import parse_publishes

        exposed.update((key, {}) for key in parse_publishes(opts.publish)[0])
    if exposed:
        config["ExposedPorts"] = exposed
    stop_signal = opts.stop_signal or image_cfg.get("StopSignal")
    if stop_signal:
        config["StopSignal"] = stop_signal
    if opts.stop_timeout is not None:
        config["StopTimeout"] = opts.stop_timeout
    return config


def build_host_config(opts: CreateOptions) -> dict[str, Any]:
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
        "Binds": [v for v in opts.volumes if ":" in v] or None,
        "Mounts": [_mount_json(m) for m in opts.mounts] or None,
        "Tmpfs": dict(t.partition(":")[::2] for t in opts.tmpfs) or None,
        "VolumesFrom": list(opts.volumes_from) or None,
        "PortBindings": _port_bindings(opts.publish),
        "PublishAllPorts": opts.publish_all,
        "ExtraHosts": list(opts.add_hosts) or None,
        "Dns": list(opts.dns),
        "DnsSearch": list(opts.dns_search),
        "LogConfig": {"Type": LOG_DRIVER, "Config": {}},
        **host_config_fields(opts.limits),
        **isolation_fields(opts.isolation, opts.hostname is not None),
    }


def _volumes(image: dict[str, Any] | None, given: tuple[str, ...]) -> dict[str, Any] | None:
    """Config.Volumes: the image's VOLUME paths and ``-v /path`` ones, as Docker's."""
    out = dict(image or {})
    out.update((v, {}) for v in given if ":" not in v)
    return out or None


def _mount_json(text: str) -> dict[str, Any]:
    """HostConfig.Mounts: a ``--mount`` as the Engine API spells it."""
    from .mounts import parse_mount

    m = parse_mount(text)
    out: dict[str, Any] = {"Type": m.type, "Source": m.source, "Target": m.destination}
    if m.readonly:
        out["ReadOnly"] = True
    if m.type == "bind" and m.propagation != "rprivate":
        out["BindOptions"] = {"Propagation": m.propagation}
    if m.options == "nocopy":
        out["VolumeOptions"] = {"NoCopy": True}
    return out


def _port_bindings(publish: tuple[str, ...]) -> dict[str, Any]:
    if not publish:
        return {}
    from ..network.ports import parse_publishes

    return dict(parse_publishes(publish)[1])


def _is_ip(text: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
