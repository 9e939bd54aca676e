"""One Compose file's services, volumes and networks checked and put in one canonical
form (short syntaxes expanded), so files merge key by key and the rest of the code reads
one shape. A value that is not valid Compose, and a key portside does not support, is
a :class:`ComposeFileError` naming the file, the line and the key.

Canonical forms: ``environment``/``labels``/``build.args`` a mapping; ``command`` and
``entrypoint`` a list (a string is split as a shell would, without running one);
``ports`` and ``volumes`` lists of long-syntax mappings; ``networks`` and
``depends_on`` mappings; ``healthcheck.test`` a list.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from ..errors import ComposeFileError
from ..timefmt import duration_ns
from .yamlfile import Located

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import Any, NoReturn

Mark = tuple[str, int]

# Compose keys portside does not do (named as such, not as unknown ones)
_UNSUPPORTED_TOP = {"secrets", "configs", "include", "models"}
_UNSUPPORTED_SERVICE = {
    "annotations", "attach", "blkio_config", "cgroup", "cgroup_parent", "configs",
    "cpu_count", "cpu_percent", "cpu_period", "cpu_quota", "cpu_rt_period",
    "cpu_rt_runtime", "cpus", "cpuset", "cpu_shares", "credential_spec", "develop",
    "device_cgroup_rules", "devices", "dns_opt", "domainname", "external_links", "extends",
    "gpus", "group_add", "ipc", "isolation", "links", "mac_address",
    "mem_limit", "mem_reservation", "mem_swappiness", "memswap_limit", "network_mode",
    "oom_kill_disable", "oom_score_adj", "pid", "pids_limit", "platform", "post_start",
    "pre_stop", "provider", "pull_policy", "runtime", "secrets", "shm_size", "storage_opt",
    "sysctls", "ulimits", "userns_mode", "uts", "volumes_from",
}  # fmt: skip
RESTARTS = re.compile(r"^(no|always|unless-stopped|on-failure(:\d+)?)$")
CONDITIONS = ("service_started", "service_healthy", "service_completed_successfully")


def fail(mark: Mark, key: str, message: str) -> NoReturn:
    raise ComposeFileError(mark[0], mark[1], key, message)


def check_top(doc: Located) -> None:
    for key in doc:
        if key in ("version", "name", "services", "volumes", "networks") or key.startswith("x-"):
            continue
        why = "not supported by portside" if key in _UNSUPPORTED_TOP else "unknown key"
        fail(doc.mark_of(key), key, why)
    for key in ("services", "volumes", "networks"):
        if doc.get(key) is not None and not isinstance(doc[key], Located):
            fail(doc.mark_of(key), key, "must be a mapping")


# -- scalars ---------------------------------------------------------------------------
def _string(value: Any, mark: Mark, key: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        fail(mark, key, "must be a string")
    return str(value)


def _strings(value: Any, mark: Mark, key: str, split: bool = False) -> list[str]:
    if isinstance(value, str):
        return shlex.split(value) if split else [value]
    if not isinstance(value, list):
        fail(mark, key, "must be a string or a list of strings")
    return [_string(v, mark, key) for v in value]


def _bool(value: Any, mark: Mark, key: str) -> bool:
    if not isinstance(value, bool):
        fail(mark, key, "must be a boolean (true or false)")
    return value


def _int(value: Any, mark: Mark, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        fail(mark, key, "must be an integer")
    return value


def _duration(value: Any, mark: Mark, key: str) -> str:
    text = _string(value, mark, key)
    if duration_ns(text) is None and not text.isdigit():
        fail(mark, key, f'invalid duration "{text}" (e.g. 10s, 1m30s)')
    return text


def _mapping(value: Any, mark: Mark, key: str, allowed: tuple[str, ...] = ()) -> Located:
    if not isinstance(value, Located):
        fail(mark, key, "must be a mapping")
    for sub in value:
        if allowed and sub not in allowed and not sub.startswith("x-"):
            fail(value.mark_of(sub), f"{key}.{sub}", "unknown or unsupported key")
    return value


def _dict_or_list(value: Any, mark: Mark, key: str, sep: str = "=") -> dict[str, str | None]:
    """``environment``, ``labels``, ``build.args``: ``[K=V, K]`` or ``{K: V}``."""
    out: dict[str, str | None] = {}
    if isinstance(value, list):
        for item in value:
            k, eq, v = _string(item, mark, key).partition(sep)
            out[k] = v if eq else None
        return out
    for k, v in _mapping(value, mark, key).items():
        if v is None:
            out[k] = None
        elif isinstance(v, bool):
            out[k] = str(v).lower()
        else:
            out[k] = _string(v, value.mark_of(k), f"{key}.{k}")
    return out


# -- the service keys ------------------------------------------------------------------
def _build(value: Any, mark: Mark, key: str, base: Path) -> Located:
    out = Located()
    out.mark = mark
    if isinstance(value, str):
        out["context"] = str((base / value).resolve())
        return out
    keys = ("context", "dockerfile", "args", "target", "cache_from", "cache_to")
    given = _mapping(value, mark, key, keys)
    out.marks = dict(given.marks)
    out["context"] = str((base / _string(given.get("context", "."), mark, key)).resolve())
    if "dockerfile" in given:
        out["dockerfile"] = _string(given["dockerfile"], given.mark_of("dockerfile"), key)
    if "args" in given:
        out["args"] = _dict_or_list(given["args"], given.mark_of("args"), f"{key}.args")
    if "target" in given:
        out["target"] = _string(given["target"], given.mark_of("target"), f"{key}.target")
    for name in ("cache_from", "cache_to"):  # buildx's --cache-from/--cache-to values
        if name in given:
            out[name] = _cache_specs(given[name], given.mark_of(name), f"{key}.{name}")
    return out


def _cache_specs(value: Any, mark: Mark, key: str) -> list[str]:
    from ..engine.builds import parse_cache_from, parse_cache_to
    from ..errors import InvalidArgument

    specs = _strings(value, mark, key)
    for spec in specs:
        try:
            (parse_cache_to if key.endswith("cache_to") else parse_cache_from)(spec)
        except InvalidArgument as e:
            fail(mark, key, str(e))
    return specs


def _port(item: Any, mark: Mark, key: str) -> dict[str, Any]:
    if isinstance(item, Located):
        m = _mapping(item, mark, key, ("target", "published", "host_ip", "protocol", "mode"))
        if "target" not in m:
            fail(mark, key, "a port needs its target")
        return {
            "target": _string(m["target"], mark, key),
            "published": _string(m.get("published", ""), mark, key),
            "host_ip": _string(m.get("host_ip", ""), mark, key),
            "protocol": _string(m.get("protocol", "tcp"), mark, key),
        }
    text = _string(item, mark, key)
    spec, _, protocol = text.partition("/")
    if spec.startswith("["):  # [::1]:8080:80
        ip, _, rest = spec[1:].partition("]:")
        parts = [ip, *rest.split(":")]
    else:
        parts = spec.split(":")
    if len(parts) > 3 or not all(re.fullmatch(r"[\d.a-fA-F:-]*", p) for p in parts):
        fail(mark, key, f'invalid port "{text}"')
    target = parts[-1]
    published = parts[-2] if len(parts) >= 2 else ""
    host_ip = parts[0] if len(parts) == 3 else ""
    if not re.fullmatch(r"\d+(-\d+)?", target) or (
        published and not re.fullmatch(r"\d+(-\d+)?", published)
    ):
        fail(mark, key, f'invalid port "{text}"')
    return {
        "target": target,
        "published": published,
        "host_ip": host_ip,
        "protocol": protocol or "tcp",
    }


def _volume(item: Any, mark: Mark, key: str, base: Path) -> dict[str, Any]:
    if isinstance(item, Located):
        allowed = ("type", "source", "target", "read_only", "bind", "volume", "tmpfs")
        m = _mapping(item, mark, key, allowed)
        kind = _string(m.get("type", "volume"), mark, f"{key}.type")
        if kind not in ("volume", "bind", "tmpfs"):
            fail(m.mark_of("type"), f"{key}.type", f'volume type "{kind}" is not supported')
        if "target" not in m:
            fail(mark, key, "a volume needs its target")
        out: dict[str, Any] = {"type": kind, "target": _string(m["target"], mark, key)}
        if "source" in m:
            source = _string(m["source"], m.mark_of("source"), f"{key}.source")
            out["source"] = _host_path(source, base) if kind == "bind" else source
        if m.get("read_only"):
            out["read_only"] = _bool(m["read_only"], m.mark_of("read_only"), key)
        for sub in ("bind", "volume", "tmpfs"):
            if sub in m:
                out[sub] = dict(_mapping(m[sub], m.mark_of(sub), f"{key}.{sub}"))
        return out
    text = _string(item, mark, key)
    parts = text.split(":")
    if len(parts) == 1:
        return {"type": "volume", "target": parts[0]}
    if len(parts) > 3:
        fail(mark, key, f'invalid volume "{text}"')
    source, target = parts[0], parts[1]
    mode = parts[2] if len(parts) == 3 else ""
    if not source or not target.startswith("/"):
        fail(mark, key, f'invalid volume "{text}"')
    for word in mode.split(",") if mode else ():
        if word not in ("ro", "rw", "z", "Z", "nocopy"):
            fail(mark, key, f'invalid mode "{word}" in volume "{text}"')
    bind = source.startswith(("/", ".", "~"))
    out = {
        "type": "bind" if bind else "volume",
        "source": _host_path(source, base) if bind else source,
        "target": target,
    }
    if "ro" in mode.split(","):
        out["read_only"] = True
    if bind:
        out["bind"] = {"create_host_path": True}
    return out


def _host_path(source: str, base: Path) -> str:
    return str((base / Path(source).expanduser()).resolve())


def _networks(value: Any, mark: Mark, key: str) -> dict[str, Any]:
    if isinstance(value, list):
        return {_string(n, mark, key): None for n in value}
    out: dict[str, Any] = {}
    for name, spec in _mapping(value, mark, key).items():
        where = f"{key}.{name}"
        if spec is None:
            out[name] = None
            continue
        m = _mapping(spec, value.mark_of(name), where, ("aliases",))
        out[name] = {"aliases": _strings(m.get("aliases", []), m.mark_of("aliases"), where)}
    return out


def _depends_on(value: Any, mark: Mark, key: str) -> dict[str, Any]:
    if isinstance(value, list):
        names = [_string(n, mark, key) for n in value]
        return {n: {"condition": "service_started", "required": True} for n in names}
    out: dict[str, Any] = {}
    for name, spec in _mapping(value, mark, key).items():
        where = f"{key}.{name}"
        m = _mapping(spec, value.mark_of(name), where, ("condition", "required", "restart"))
        condition = _string(m.get("condition", "service_started"), m.mark_of("condition"), where)
        if condition not in CONDITIONS:
            fail(m.mark_of("condition"), f"{where}.condition", f'unknown condition "{condition}"')
        entry: dict[str, Any] = {"condition": condition, "required": True}
        for flag in ("required", "restart"):
            if flag in m:
                entry[flag] = _bool(m[flag], m.mark_of(flag), f"{where}.{flag}")
        out[name] = entry
    return out


def _healthcheck(value: Any, mark: Mark, key: str) -> dict[str, Any]:
    allowed = ("test", "interval", "timeout", "retries", "start_period", "start_interval")
    m = _mapping(value, mark, key, (*allowed, "disable"))
    out: dict[str, Any] = {}
    if "test" in m:
        test = m["test"]
        if isinstance(test, str):
            out["test"] = ["CMD-SHELL", test]
        else:
            out["test"] = _strings(test, m.mark_of("test"), f"{key}.test")
            if out["test"] and out["test"][0] not in ("CMD", "CMD-SHELL", "NONE"):
                fail(m.mark_of("test"), f"{key}.test", "must start with CMD, CMD-SHELL or NONE")
    for name in ("interval", "timeout", "start_period", "start_interval"):
        if name in m:
            out[name] = _duration(m[name], m.mark_of(name), f"{key}.{name}")
    if "retries" in m:
        out["retries"] = _int(m["retries"], m.mark_of("retries"), f"{key}.retries")
    if "disable" in m:
        out["disable"] = _bool(m["disable"], m.mark_of("disable"), f"{key}.disable")
    return out


def _deploy(value: Any, mark: Mark, key: str) -> dict[str, Any]:
    m = _mapping(value, mark, key, ("resources", "replicas"))
    out: dict[str, Any] = {}
    if "replicas" in m:
        out["replicas"] = _int(m["replicas"], m.mark_of("replicas"), f"{key}.replicas")
    if "resources" in m:
        res = _mapping(m["resources"], m.mark_of("resources"), f"{key}.resources", ("limits",))
        where = f"{key}.resources.limits"
        limits = _mapping(res.get("limits", Located()), res.mark_of("limits"), where,
                          ("cpus", "memory", "pids"))  # fmt: skip
        out["resources"] = {
            "limits": {
                k: (
                    _int(v, limits.mark_of(k), f"{where}.{k}")
                    if k == "pids"
                    else _string(v, limits.mark_of(k), f"{where}.{k}")
                )
                for k, v in limits.items()
            }  # fmt: skip
        }
    return out


def _logging(value: Any, mark: Mark, key: str) -> dict[str, Any]:
    """``logging: {driver: json-file, options: {max-size: 10m, max-file: 3}}``."""
    from ..engine.container_options import LogConfig
    from ..errors import InvalidArgument

    m = _mapping(value, mark, key, ("driver", "options"))
    driver = _string(m["driver"], m.mark_of("driver"), f"{key}.driver") if "driver" in m else ""
    given = m.get("options")
    at = m.mark_of("options") if given is not None else mark
    options = _dict_or_list(given, at, f"{key}.options") if given is not None else {}
    config = {k: v for k, v in options.items() if v is not None}
    try:
        LogConfig(driver or "json-file", config)
    except InvalidArgument as e:
        fail(mark, key, str(e))
    return {"driver": driver, "options": config}


def _env_files(value: Any, mark: Mark, key: str, base: Path) -> list[dict[str, Any]]:
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        if isinstance(item, Located):
            m = _mapping(item, mark, key, ("path", "required"))
            path = _string(m.get("path"), mark, f"{key}.path")
            required = _bool(m.get("required", True), mark, f"{key}.required")
        else:
            path, required = _string(item, mark, key), True
        out.append({"path": str((base / path).resolve()), "required": required})
    return out


_STRINGS = ("image", "user", "working_dir", "hostname", "container_name", "stop_signal")
_BOOLS = ("read_only", "init", "privileged", "tty", "stdin_open")
_LISTS = ("cap_add", "cap_drop", "profiles", "dns", "security_opt", "expose", "tmpfs")


def service(name: str, svc: Any, mark: Mark, base: Path) -> Located:
    """One service of one file, checked and in canonical form."""
    path = f"services.{name}"
    if svc is None:
        svc = Located()
        svc.mark = mark
    given = _mapping(svc, mark, path)
    out = given.like()
    for key, value in given.items():
        at, where = given.mark_of(key), f"{path}.{key}"
        if key.startswith("x-"):
            continue
        if key in _STRINGS:
            out[key] = _string(value, at, where)
        elif key in _BOOLS:
            out[key] = _bool(value, at, where)
        elif key in _LISTS:
            out[key] = _strings(value, at, where)
        elif key in ("command", "entrypoint"):
            out[key] = None if value is None else _strings(value, at, where, split=True)
        elif key in ("environment", "labels"):
            out[key] = _dict_or_list(value, at, where)
        elif key == "extra_hosts":
            hosts = _dict_or_list(value, at, where, sep=":")
            out[key] = [f"{h}:{ip}" for h, ip in hosts.items()]
        elif key == "build":
            out[key] = _build(value, at, where, base)
        elif key == "env_file":
            out[key] = _env_files(value, at, where, base)
        elif key == "ports":
            out[key] = [_port(p, at, where) for p in _list(value, at, where)]
        elif key == "volumes":
            out[key] = [_volume(v, at, where, base) for v in _list(value, at, where)]
        elif key == "networks":
            out[key] = _networks(value, at, where)
        elif key == "depends_on":
            out[key] = _depends_on(value, at, where)
        elif key == "healthcheck":
            out[key] = _healthcheck(value, at, where)
        elif key == "deploy":
            out[key] = _deploy(value, at, where)
        elif key == "logging":
            out[key] = _logging(value, at, where)
        elif key == "restart":
            out[key] = _string(value, at, where)
            if not RESTARTS.match(out[key]):
                fail(at, where, f'invalid restart policy "{out[key]}"')
        elif key == "stop_grace_period":
            out[key] = _duration(value, at, where)
        elif key == "scale":
            out[key] = _int(value, at, where)
        else:
            why = "not supported by portside" if key in _UNSUPPORTED_SERVICE else "unknown key"
            fail(at, where, why)
    return out


def _list(value: Any, mark: Mark, key: str) -> list[Any]:
    if not isinstance(value, list):
        fail(mark, key, "must be a list")
    return value


def resource(kind: str, name: str, spec: Any, mark: Mark) -> dict[str, Any]:
    """A top-level volume or network: ``name``, ``external``, ``labels``, ``driver``
    (and a network's ``internal``)."""
    where = f"{kind}.{name}"
    if spec is None:
        return {}
    allowed = ("name", "external", "labels", "driver")
    m = _mapping(spec, mark, where, (*allowed, "internal") if kind == "networks" else allowed)
    out: dict[str, Any] = {}
    for key, value in m.items():
        at = m.mark_of(key)
        if key in ("name", "driver"):
            out[key] = _string(value, at, f"{where}.{key}")
        elif key in ("external", "internal"):
            out[key] = _bool(value, at, f"{where}.{key}")
        elif key == "labels":
            out[key] = _dict_or_list(value, at, f"{where}.{key}")
    driver = out.get("driver", "local" if kind == "volumes" else "bridge")
    if driver not in ("local", "bridge"):
        fail(m.mark_of("driver"), f"{where}.driver", f'driver "{driver}" is not supported')
    return out
