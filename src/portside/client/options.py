"""docker-py's keyword arguments for ``containers.create``/``run`` (and ``update``) as
the engine's typed options: ports, mounts, restart policy, limits and isolation as
records."""

from __future__ import annotations

import builtins
import shlex

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import Any

    from ..engine.container_options import CreateOptions, Mount, PublishedPort
    from ..engine.isolation import Isolation
    from ..engine.resources import Limits

CREATE_KWARGS = {
    "name",
    "log_config",
    "environment",
    "working_dir",
    "user",
    "hostname",
    "tty",
    "stdin_open",
    "labels",
    "auto_remove",
    "network_mode",
    "restart_policy",
    "stop_signal",
    "stop_timeout",
    "healthcheck",
    "init",
    "privileged",
    "cap_add",
    "cap_drop",
    "security_opt",
    "read_only",
    "entrypoint",
    "ports",
    "network",
    "publish_all_ports",
    "extra_hosts",
    "dns",
    "dns_search",
    "volumes",
    "mounts",
    "tmpfs",
    "volumes_from",
    "ulimits",
    "shm_size",
    "devices",
    "group_add",
    "ipc_mode",
    "pid_mode",
    "uts_mode",
    "userns_mode",
}
LIMIT_KWARGS = {  # what update() can change too
    "mem_limit",
    "memswap_limit",
    "nano_cpus",
    "cpu_shares",
    "cpuset_cpus",
    "pids_limit",
}
CREATE_KWARGS |= LIMIT_KWARGS


def argv(command: str | builtins.list[str] | None) -> builtins.list[str] | None:
    if command is None:
        return None
    return shlex.split(command) if isinstance(command, str) else list(command)


def pairs(value: dict[str, Any] | builtins.list[str] | None) -> builtins.list[str]:
    if value is None:
        return []
    if isinstance(value, dict):
        return [f"{k}={v}" for k, v in value.items()]
    return list(value)


def create_options(image: str, command: Any, kwargs: dict[str, Any]) -> CreateOptions:
    """docker-py's keyword arguments as the engine's options; unknown ones are refused."""
    from ..engine.container_options import CreateOptions, LogConfig, RestartPolicy
    from ..engine.health import Healthcheck

    unknown = set(kwargs) - CREATE_KWARGS
    if unknown:
        raise TypeError(f"unexpected keyword arguments: {', '.join(sorted(unknown))}")
    labels = kwargs.get("labels") or {}
    if isinstance(labels, list):
        labels = {name: "" for name in labels}
    policy = kwargs.get("restart_policy") or {}
    restart = RestartPolicy(policy.get("Name") or "no", int(policy.get("MaximumRetryCount") or 0))
    network = kwargs.get("network_mode") or kwargs.get("network") or "default"
    return CreateOptions(
        image=image,
        command=argv(command),
        entrypoint=argv(kwargs.get("entrypoint")),
        name=kwargs.get("name"),
        env=tuple(pairs(kwargs.get("environment"))),
        workdir=kwargs.get("working_dir"),
        user=kwargs.get("user"),
        hostname=kwargs.get("hostname"),
        tty=bool(kwargs.get("tty")),
        stdin_open=bool(kwargs.get("stdin_open")),
        labels=dict(labels),
        auto_remove=bool(kwargs.get("auto_remove")),
        network=network,
        restart=restart,
        stop_signal=kwargs.get("stop_signal"),
        stop_timeout=kwargs.get("stop_timeout"),
        healthcheck=Healthcheck.from_json(kwargs.get("healthcheck")),
        init=bool(kwargs.get("init")),
        privileged=bool(kwargs.get("privileged")),
        cap_add=tuple(kwargs.get("cap_add") or ()),
        cap_drop=tuple(kwargs.get("cap_drop") or ()),
        security_opt=tuple(kwargs.get("security_opt") or ()),
        read_only=bool(kwargs.get("read_only")),
        publish=_publish(kwargs.get("ports") or {}),
        publish_all=bool(kwargs.get("publish_all_ports")),
        add_hosts=tuple(_extra_hosts(kwargs.get("extra_hosts") or {})),
        dns=tuple(kwargs.get("dns") or ()),
        dns_search=tuple(kwargs.get("dns_search") or ()),
        mounts=(
            *_volumes(kwargs.get("volumes") or []),
            *(_mount(m) for m in kwargs.get("mounts") or ()),
            *_tmpfs(kwargs.get("tmpfs") or []),
        ),
        volumes_from=tuple(kwargs.get("volumes_from") or ()),
        limits=limits(kwargs),
        isolation=isolation(kwargs),
        log=LogConfig.of_api(kwargs.get("log_config")),
    )


def limits(kwargs: dict[str, Any]) -> Limits:
    """docker-py's ``mem_limit="512m"`` (or bytes), ``nano_cpus``, ``pids_limit``,
    ``ulimits=[{"Name": "nofile", "Soft": 1024, "Hard": 2048}]`` … as Limits."""
    from ..engine.resources import Limits, Ulimit

    return Limits(
        memory=_bytes("mem_limit", kwargs.get("mem_limit")),
        memory_swap=_bytes("memswap_limit", kwargs.get("memswap_limit")),
        nano_cpus=kwargs.get("nano_cpus") or None,
        cpu_shares=kwargs.get("cpu_shares"),
        cpuset_cpus=kwargs.get("cpuset_cpus") or "",
        pids_limit=kwargs.get("pids_limit"),
        ulimits=tuple(
            Ulimit.parse(u) if isinstance(u, str) else Ulimit(u["Name"], u["Soft"], u["Hard"])
            for u in kwargs.get("ulimits") or ()
        ),
        shm_size=_bytes("shm_size", kwargs.get("shm_size")),
    )


def isolation(kwargs: dict[str, Any]) -> Isolation:
    """docker-py's ``devices=["/dev/fuse:/dev/fuse:rwm"]``, ``group_add``, ``ipc_mode``,
    ``pid_mode``, ``uts_mode`` and ``userns_mode``."""
    from ..engine.isolation import Device, Isolation

    return Isolation(
        ipc=kwargs.get("ipc_mode") or "",
        pid=kwargs.get("pid_mode") or "",
        uts=kwargs.get("uts_mode") or "",
        userns=kwargs.get("userns_mode") or "",
        devices=tuple(Device.parse(d) for d in kwargs.get("devices") or ()),
        group_add=tuple(str(g) for g in kwargs.get("group_add") or ()),
    )


def _bytes(name: str, value: int | str | None) -> int | None:
    """A docker-py size: bytes, or a string as ``"512m"`` (as docker-py reads it)."""
    from ..engine.resources import size

    if not value:
        return None  # docker-py's 0: not given
    if value in (-1, "-1"):
        return -1  # memswap_limit: unlimited swap
    return value if isinstance(value, int) else size(name, value)


def _volumes(value: dict[str, Any] | builtins.list[str]) -> builtins.list[Mount]:
    """docker-py's ``volumes``: ``{"/host": {"bind": "/ctr", "mode": "ro"}}`` (or a
    volume's name as the key), or the Engine API's Binds strings (which docker-py
    makes of the dict, and which the engine keeps to show them as given)."""
    from ..engine.container_options import Mount

    if isinstance(value, dict):
        binds = []
        for source, spec in value.items():
            if isinstance(spec, str):
                spec = {"bind": spec}
            mode = spec.get("mode", "")
            binds.append(f"{source}:{spec['bind']}" + (f":{mode}" if mode else ""))
        value = binds
    return [Mount.parse_volume(bind) for bind in value]


def _mount(value: str | dict[str, Any]) -> Mount:
    """A ``docker.types.Mount`` (a dict in the Engine API's spelling), or a ``--mount``."""
    from ..engine.container_options import Mount

    if isinstance(value, str):
        return Mount.parse_mount(value)
    return Mount.of_api(value)


def _tmpfs(value: dict[str, str] | builtins.list[str]) -> builtins.list[Mount]:
    """docker-py's ``tmpfs``: ``{"/run": "size=64m"}`` or ``["/run:size=64m"]``."""
    from ..engine.container_options import Mount

    if isinstance(value, dict):
        return [Mount.tmpfs(path, options or "") for path, options in value.items()]
    return [Mount.parse_tmpfs(spec) for spec in value]


def _extra_hosts(value: dict[str, str] | builtins.list[str]) -> builtins.list[str]:
    """docker-py's ``extra_hosts``: ``{"db": "10.0.0.5"}`` or ``["db:10.0.0.5"]``."""
    if isinstance(value, dict):
        return [f"{name}:{ip}" for name, ip in value.items()]
    return list(value)


def _publish(ports: dict[str | int, Any]) -> tuple[PublishedPort, ...]:
    """docker-py's ``ports={"80/tcp": 3000, "53/udp": ("127.0.0.1", 5353), "81": None,
    "82": [8082, 9082]}``."""
    from ..engine.container_options import PublishedPort

    out = []
    for key, value in ports.items():
        for host in value if isinstance(value, list) else [value]:
            if host is None:
                out.append(PublishedPort.of(key))
            elif isinstance(host, tuple):
                out.append(PublishedPort.of(key, host[0], host[1] if len(host) > 1 else ""))
            else:
                out.append(PublishedPort.of(key, "", host))
    return tuple(out)
