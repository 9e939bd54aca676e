"""A service of the model as the engine's records: the :class:`CreateOptions` of its
N-th container (ports, mounts, restart policy, limits as records, with Compose's names
and labels), and the image it runs.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..engine.container_options import (
    CreateOptions,
    LogConfig,
    Mount,
    PublishedPort,
    RestartPolicy,
)
from ..engine.health import Healthcheck
from ..engine.resources import Limits
from ..errors import InvalidArgument, PortsideError
from ..timefmt import duration_ns
from . import labels as L
from .interpolate import read_env_file
from .model import Project

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import Any


def image_of(project: Project, name: str) -> str:
    """The image a service runs: its ``image``, else the one its build makes
    (``PROJECT-SERVICE``, as Docker Compose v2 names it)."""
    svc = project.services[name]
    return str(svc.get("image") or f"{project.name}-{name}")


def replicas(svc: dict[str, Any]) -> int:
    deploy = svc.get("deploy") or {}
    if "scale" in svc:
        return int(svc["scale"])
    return int(deploy.get("replicas", 1))


def networks_of(svc: dict[str, Any]) -> dict[str, list[str]]:
    """The service's networks (keys of the model's ``networks``) with their aliases."""
    given = svc.get("networks") or {"default": None}
    return {key: list((spec or {}).get("aliases") or []) for key, spec in given.items()}


def create_options(
    project: Project,
    name: str,
    number: int,
    config_hash: str,
    oneoff: str = "",
    command: list[str] | None = None,
) -> CreateOptions:
    """The options of container ``number`` of service ``name`` (``oneoff``: the suffix
    of a ``compose run`` container instead)."""
    svc = project.services[name]
    try:
        return _options(project, name, svc, number, config_hash, oneoff, command)
    except PortsideError as e:
        raise InvalidArgument(f'service "{name}": {e}') from None


def _options(
    project: Project,
    name: str,
    svc: dict[str, Any],
    number: int,
    config_hash: str,
    oneoff: str,
    command: list[str] | None,
) -> CreateOptions:
    networks = networks_of(svc)
    first = next(iter(networks))
    container = (
        L.oneoff_name(project.name, name, oneoff)
        if oneoff
        else svc.get("container_name") or L.container_name(project.name, name, number)
    )
    labels = {
        **{k: v or "" for k, v in (svc.get("labels") or {}).items()},
        L.PROJECT: project.name,
        L.SERVICE: name,
        L.NUMBER: str(number),
        L.CONFIG_HASH: config_hash,
        L.ONEOFF: "True" if oneoff else "False",
        L.WORKING_DIR: str(project.working_dir),
        L.CONFIG_FILES: ",".join(str(f) for f in project.config_files),
        L.VERSION: L.COMPOSE_VERSION,
        L.DEPENDS_ON: ",".join(
            f"{dep}:{spec['condition']}:{str(spec.get('restart', False)).lower()}"
            for dep, spec in (svc.get("depends_on") or {}).items()
        ),
    }
    limits = (svc.get("deploy") or {}).get("resources", {}).get("limits", {})
    stop_grace = svc.get("stop_grace_period")
    return CreateOptions(
        image=image_of(project, name),
        command=command if command is not None else svc.get("command"),
        entrypoint=svc.get("entrypoint"),
        name=container,
        env=tuple(_environment(project, svc)),
        workdir=svc.get("working_dir"),
        user=svc.get("user"),
        hostname=svc.get("hostname"),
        tty=bool(svc.get("tty")),
        stdin_open=bool(svc.get("stdin_open")),
        labels=labels,
        network=project.networks[first]["name"],
        network_aliases=(name, *networks[first]) if not oneoff else tuple(networks[first]),
        restart=RestartPolicy.parse(svc.get("restart", "no")) if not oneoff else RestartPolicy(),
        stop_signal=svc.get("stop_signal"),
        stop_timeout=_seconds(stop_grace) if stop_grace else None,
        healthcheck=Healthcheck.from_json(health_config(svc)),
        init=bool(svc.get("init")),
        privileged=bool(svc.get("privileged")),
        cap_add=tuple(svc.get("cap_add") or ()),
        cap_drop=tuple(svc.get("cap_drop") or ()),
        security_opt=tuple(svc.get("security_opt") or ()),
        read_only=bool(svc.get("read_only")),
        publish=() if oneoff else _ports(svc.get("ports") or []),
        add_hosts=tuple(svc.get("extra_hosts") or ()),
        dns=tuple(svc.get("dns") or ()),
        mounts=_mounts(project, svc),
        limits=Limits.parse(
            memory=str(limits.get("memory", "")),
            cpus=str(limits.get("cpus", "")),
            pids_limit=limits.get("pids"),
        ),
        log=_logging(svc.get("logging")),
    )


def _logging(logging: dict[str, Any] | None) -> LogConfig | None:
    """The service's ``logging`` (checked by schema.py) as run's --log-driver/--log-opt."""
    if not logging:
        return None
    return LogConfig(logging["driver"] or "json-file", dict(logging["options"]))


def health_config(svc: dict[str, Any]) -> dict[str, Any] | None:
    """The service's ``healthcheck`` as Docker's ``Config.Healthcheck`` (durations in
    nanoseconds); None when it has none."""
    check = svc.get("healthcheck")
    if not check:
        return None
    if check.get("disable"):
        return {"Test": ["NONE"]}
    out: dict[str, Any] = {}
    if "test" in check:
        out["Test"] = check["test"]
    for key, field in (
        ("interval", "Interval"),
        ("timeout", "Timeout"),
        ("start_period", "StartPeriod"),
        ("start_interval", "StartInterval"),
    ):
        if key in check:
            out[field] = duration_ns(check[key]) or int(check[key]) * 10**9
    if "retries" in check:
        out["Retries"] = check["retries"]
    return out


def _environment(project: Project, svc: dict[str, Any]) -> list[str]:
    """``env_file`` files, then ``environment`` over them; a name without a value takes
    the project's (the shell's or ``.env``'s), or is left out."""
    values: dict[str, str | None] = {}
    for entry in svc.get("env_file") or []:
        path = Path(entry["path"])
        if not path.is_file():
            if entry.get("required", True):
                raise InvalidArgument(f"env file {path} not found")
            continue
        values.update(read_env_file(path, project.env))
    values.update(svc.get("environment") or {})
    out = []
    for key, value in values.items():
        if value is None:
            value = project.env.get(key)
        if value is not None:
            out.append(f"{key}={value}")
    return out


def _ports(ports: list[dict[str, Any]]) -> tuple[PublishedPort, ...]:
    out: list[PublishedPort] = []
    for p in ports:
        host = p["host_ip"]
        host = f"[{host}]" if ":" in host else host
        spec = f"{p['target']}/{p['protocol']}"
        if p["published"] or host:
            spec = f"{p['published']}:{spec}"
        if host:
            spec = f"{host}:{spec}"
        out.extend(PublishedPort.parse(spec))
    return tuple(out)


def _mounts(project: Project, svc: dict[str, Any]) -> tuple[Mount, ...]:
    out: list[Mount] = []
    for v in svc.get("volumes") or []:
        ro = bool(v.get("read_only"))
        target = v["target"]
        if v["type"] == "tmpfs":
            size = (v.get("tmpfs") or {}).get("size")
            out.append(Mount.tmpfs(target, f"size={size}" if size else ""))
        elif v["type"] == "bind":
            out.append(Mount.parse_volume(f"{v['source']}:{target}" + (":ro" if ro else "")))
        elif v.get("source"):
            name = project.volumes[v["source"]]["name"]
            nocopy = bool((v.get("volume") or {}).get("nocopy"))
            out.append(Mount.of("volume", target, source=name, readonly=ro, nocopy=nocopy))
        else:
            out.append(Mount.parse_volume(target))
    for spec in svc.get("tmpfs") or []:
        out.append(Mount.parse_tmpfs(spec))
    return tuple(out)


def make_bind_sources(svc: dict[str, Any]) -> None:
    """The missing host folders of the service's binds, as Compose's short syntax
    makes them (``create_host_path``)."""
    for v in svc.get("volumes") or []:
        if v["type"] == "bind" and (v.get("bind") or {}).get("create_host_path"):
            os.makedirs(v["source"], exist_ok=True)


def _seconds(text: str) -> int:
    ns = duration_ns(text)
    return int(text) if ns is None else ns // 10**9
