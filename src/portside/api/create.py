"""A create request's JSON (Config + HostConfig + NetworkingConfig) as the engine's
CreateOptions: the API's spelling parsed once, here, into records."""

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
from ..engine.resources import Limits, Ulimit
from ..errors import InvalidArgument

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import Any


def create_options(body: dict[str, Any], name: str | None) -> CreateOptions:
    if not isinstance(body, dict):
        raise InvalidArgument("the request body must be a JSON object")
    host = body.get("HostConfig") or {}
    image = body.get("Image") or ""
    if not image:
        raise InvalidArgument("config cannot be empty in order to create a container")
    policy = host.get("RestartPolicy") or {}
    keys = {"stdin": "AttachStdin", "stdout": "AttachStdout", "stderr": "AttachStderr"}
    attach = tuple(stream for stream, key in keys.items() if body.get(key))
    network = host.get("NetworkMode") or "default"
    if network == "bridge":
        network = "default"
    endpoints = (body.get("NetworkingConfig") or {}).get("EndpointsConfig") or {}
    aliases = tuple(a for e in endpoints.values() for a in (e or {}).get("Aliases") or ())
    mounts = (
        *(Mount.parse_volume(b) for b in host.get("Binds") or ()),
        *(Mount.of_api(m) for m in host.get("Mounts") or ()),
        *(Mount.tmpfs(path, opts) for path, opts in (host.get("Tmpfs") or {}).items()),
    )
    return CreateOptions(
        image=image,
        command=_list(body.get("Cmd")),
        entrypoint=_list(body.get("Entrypoint")),
        name=name or None,
        env=tuple(body.get("Env") or ()),
        workdir=body.get("WorkingDir") or None,
        user=body.get("User") or None,
        hostname=body.get("Hostname") or None,
        tty=bool(body.get("Tty")),
        stdin_open=bool(body.get("OpenStdin")),
        labels=dict(body.get("Labels") or {}),
        auto_remove=bool(host.get("AutoRemove")),
        network=network,
        network_aliases=aliases,
        restart=RestartPolicy(
            policy.get("Name") or "no", int(policy.get("MaximumRetryCount") or 0)
        ),
        stop_signal=body.get("StopSignal") or None,
        stop_timeout=body.get("StopTimeout"),
        healthcheck=Healthcheck.from_json(body.get("Healthcheck")),
        init=bool(host.get("Init")),
        privileged=bool(host.get("Privileged")),
        cap_add=tuple(host.get("CapAdd") or ()),
        cap_drop=tuple(host.get("CapDrop") or ()),
        security_opt=tuple(host.get("SecurityOpt") or ()),
        read_only=bool(host.get("ReadonlyRootfs")),
        publish=_publish(host.get("PortBindings") or {}),
        publish_all=bool(host.get("PublishAllPorts")),
        add_hosts=tuple(host.get("ExtraHosts") or ()),
        dns=tuple(host.get("Dns") or ()),
        dns_search=tuple(host.get("DnsSearch") or ()),
        attach=attach,
        mounts=(*mounts, *_anonymous(body.get("Volumes") or {}, mounts)),
        volumes_from=tuple(host.get("VolumesFrom") or ()),
        limits=_limits(host),
        isolation=_isolation(host),
        log=LogConfig.of_api(host.get("LogConfig")),
    )


def _limits(host: dict[str, Any]) -> Limits:
    """HostConfig's resources; Docker's 0 (and a PidsLimit of 0 or -1) is "not given"."""
    ulimits = host.get("Ulimits") or ()
    try:
        given = tuple(Ulimit(u["Name"], int(u["Soft"]), int(u["Hard"])) for u in ulimits)
    except (KeyError, TypeError, ValueError):
        raise InvalidArgument(f"invalid Ulimits: {ulimits!r}") from None
    pids = _int(host, "PidsLimit")
    return Limits(
        memory=_int(host, "Memory") or None,
        memory_swap=_int(host, "MemorySwap") or None,
        nano_cpus=_int(host, "NanoCpus") or None,
        cpu_shares=_int(host, "CpuShares") or None,
        cpuset_cpus=host.get("CpusetCpus") or "",
        pids_limit=pids if pids and pids > 0 else None,
        ulimits=given,
        shm_size=_int(host, "ShmSize") or None,
    )


def _isolation(host: dict[str, Any]) -> Isolation:
    devices = []
    for d in host.get("Devices") or ():
        if not isinstance(d, dict) or not d.get("PathOnHost"):
            raise InvalidArgument(f"invalid device mapping: {d!r}")
        devices.append(
            Device(
                d["PathOnHost"], d.get("PathInContainer") or "", d.get("CgroupPermissions") or "rwm"
            )
        )
    return Isolation(
        ipc=host.get("IpcMode") or "",
        pid=host.get("PidMode") or "",
        uts=host.get("UTSMode") or "",
        userns=host.get("UsernsMode") or "",
        devices=tuple(devices),
        group_add=tuple(str(g) for g in host.get("GroupAdd") or ()),
    )


def _int(host: dict[str, Any], key: str) -> int | None:
    value = host.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgument(f"invalid {key}: {value!r} is not an integer")
    return value


def _list(value: Any) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def _anonymous(volumes: dict[str, Any], mounts: tuple[Mount, ...]) -> tuple[Mount, ...]:
    """Config.Volumes (the docker CLI's ``-v /path``, a compose volume without a
    source): an anonymous volume at each path that no other mount covers, as Docker's."""
    taken = {m.row.destination.rstrip("/") for m in mounts}
    return tuple(Mount.parse_volume(p) for p in volumes if p.rstrip("/") not in taken)


def _publish(bindings: dict[str, Any]) -> tuple[PublishedPort, ...]:
    out = []
    for port, binds in bindings.items():
        for b in binds or [{}]:
            out.append(PublishedPort.of(port, b.get("HostIp") or "", b.get("HostPort") or ""))
    return tuple(out)
