"""portside's configuration file, and Docker's ``daemon.json`` for the keys that mean
the same here (docs/configuration.md).

Which files, in order of precedence (a later one fills only what an earlier left unset):

1. ``--config FILE`` or ``$PORTSIDE_CONFIG`` (empty: none), else
   ``/etc/portside/portside.conf`` for root and ``~/.config/portside/portside.conf``
   (``$XDG_CONFIG_HOME``) for another user: TOML, in Podman's style, with the keys of
   Docker's ``daemon.json`` (``registry-mirrors``, ``insecure-registries`` …) plus
   Podman's ``[[registry]]`` mirrors and ``[aliases]`` short names.
2. ``$PORTSIDE_DAEMON_JSON`` (empty: none), else ``/etc/docker/daemon.json`` (and
   ``~/.config/docker/daemon.json`` for another user): only the keys in DAEMON_JSON_KEYS;
   the rest of that file is Docker's business and is not read.

Every key is checked before anything runs: an unknown key, a value of the wrong type or
a file that does not parse is one line naming the file, the key and why.
"""

from __future__ import annotations

import os

from .errors import InvalidArgument
from .records import dataclass, field

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any


@dataclass(frozen=True)
class Mirror:
    location: str  # host[:port][/path], or a URL (http:// makes it insecure)
    insecure: bool = False


@dataclass(frozen=True)
class FileConfig:
    """The values read (each key's as checked) and which file each came from."""

    values: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)


def _fail(path: str, key: str, why: str) -> InvalidArgument:
    return InvalidArgument(f"{path}: {key}: {why}")


def _string(path: str, key: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise _fail(path, key, f"must be a non-empty string, not {value!r}")
    return value


def _strings(path: str, key: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise _fail(path, key, f"must be a list of strings, not {value!r}")
    return tuple(value)


def _count(path: str, key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _fail(path, key, f"must be a whole number of at least 1, not {value!r}")
    return value


def _absolute(path: str, key: str, value: Any) -> str:
    text = _string(path, key, value)
    if not text.startswith("/"):
        raise _fail(path, key, f"must be an absolute path, not {text!r}")
    return text


def _ips(path: str, key: str, value: Any) -> tuple[str, ...]:
    import ipaddress

    for v in _strings(path, key, value):
        try:
            ipaddress.ip_address(v)
        except ValueError:
            raise _fail(path, key, f"{v!r} is not an IP address") from None
    return tuple(value)


def _cidr(path: str, key: str, value: Any) -> str:
    import ipaddress

    text = _string(path, key, value)
    try:
        ipaddress.ip_interface(text)
    except ValueError:
        raise _fail(path, key, f"{text!r} is not an address with a prefix length") from None
    return text


def _mirrors(path: str, key: str, value: Any) -> tuple[Mirror, ...]:
    import re

    out = []
    for url in _strings(path, key, value):
        if not re.match(r"^https?://[^/\s]+", url):
            raise _fail(path, key, f"{url!r} is not an http:// or https:// URL")
        host = url.split("://", 1)[1].rstrip("/")
        out.append(Mirror(host, insecure=url.startswith("http://")))
    return tuple(out)


def _pools(path: str, key: str, value: Any) -> tuple[tuple[str, int], ...]:
    if not isinstance(value, list):
        raise _fail(path, key, "must be a list of {base, size} tables")
    import ipaddress

    out = []
    for pool in value:
        if not isinstance(pool, dict) or set(pool) - {"base", "size"} or "base" not in pool:
            raise _fail(path, key, f"{pool!r}: each pool has a base and a size")
        base = _cidr(path, key, pool["base"])
        size = pool.get("size", 24)
        net = ipaddress.ip_network(base, strict=False)
        if isinstance(size, bool) or not isinstance(size, int) or not net.prefixlen <= size <= 30:
            raise _fail(path, key, f"size {size!r} must be from {net.prefixlen} to 30")
        out.append((str(net), size))
    return tuple(out)


_LOG_DRIVERS = ("json-file", "k8s-file")
_LOG_OPTS = ("max-size", "max-file")


def _log_driver(path: str, key: str, value: Any) -> str:
    text = _string(path, key, value)
    if text not in _LOG_DRIVERS:
        raise _fail(
            path, key, f"{text!r} is not a log driver portside has ({', '.join(_LOG_DRIVERS)})"
        )
    return text


def _log_opts(path: str, key: str, value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise _fail(path, key, "must be a table of strings")
    for name, v in value.items():
        if name not in _LOG_OPTS:
            raise _fail(
                path, f"{key}.{name}", f"unknown log option (known: {', '.join(_LOG_OPTS)})"
            )
        if not isinstance(v, str):
            raise _fail(path, f"{key}.{name}", f"must be a string, not {v!r}")
    if "max-size" in value:
        from .units import parse_bytes

        try:
            parse_bytes(value["max-size"])
        except ValueError:
            raise _fail(path, f"{key}.max-size", f"{value['max-size']!r} is not a size") from None
    if "max-file" in value and not (value["max-file"].isdigit() and int(value["max-file"]) > 0):
        raise _fail(path, f"{key}.max-file", f"{value['max-file']!r} is not a count")
    return dict(value)


def _ulimits(path: str, key: str, value: Any) -> dict[str, tuple[int, int]]:
    """daemon.json's ``{"nofile": {"Name": "nofile", "Soft": 1024, "Hard": 2048}}``."""
    from .engine.resources import ULIMITS

    if not isinstance(value, dict):
        raise _fail(path, key, "must be a table of {Name, Soft, Hard}")
    out = {}
    for name, limit in value.items():
        soft = limit.get("Soft") if isinstance(limit, dict) else None
        hard = limit.get("Hard") if isinstance(limit, dict) else None
        if name not in ULIMITS or not isinstance(soft, int) or not isinstance(hard, int):
            raise _fail(path, f"{key}.{name}", f"not a ulimit with a Soft and a Hard: {limit!r}")
        if soft > hard:
            raise _fail(path, f"{key}.{name}", f"soft {soft} is above hard {hard}")
        out[name] = (soft, hard)
    return out


def _runtimes(path: str, key: str, value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise _fail(path, key, "must be a table of {path}")
    out = {}
    for name, spec in value.items():
        if not isinstance(spec, dict) or not isinstance(spec.get("path"), str):
            raise _fail(path, f"{key}.{name}", "needs a path")
        out[name] = spec["path"]
    return out


def _features(path: str, key: str, value: Any) -> dict[str, bool]:
    if not isinstance(value, dict) or not all(isinstance(v, bool) for v in value.values()):
        raise _fail(path, key, "must be a table of true/false")
    return dict(value)


def _registries(path: str, key: str, value: Any) -> dict[str, tuple[Mirror, ...]]:
    """Podman's ``[[registry]] location = "docker.io"`` with ``[[registry.mirror]]
    location = "mirror.local:5000"`` (``insecure = true``) tables."""
    if not isinstance(value, list):
        raise _fail(path, key, "must be [[registry]] tables")
    out: dict[str, tuple[Mirror, ...]] = {}
    for n, table in enumerate(value):
        where = f"{key}[{n}]"
        if not isinstance(table, dict) or set(table) - {"location", "mirror", "insecure"}:
            raise _fail(path, where, "a registry has location, mirror and insecure")
        location = _string(path, f"{where}.location", table.get("location"))
        mirrors = []
        for m in table.get("mirror", []):
            if not isinstance(m, dict) or set(m) - {"location", "insecure"}:
                raise _fail(path, f"{where}.mirror", "a mirror has location and insecure")
            insecure = m.get("insecure", False)
            if not isinstance(insecure, bool):
                raise _fail(path, f"{where}.mirror.insecure", "must be true or false")
            mirrors.append(
                Mirror(_string(path, f"{where}.mirror.location", m.get("location")), insecure)
            )
        out[location] = tuple(mirrors)
    return out


def _aliases(path: str, key: str, value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise _fail(path, key, "must be a table of short name = full name")
    return dict(value)


if TYPE_CHECKING:
    Check = Callable[[str, str, Any], Any]
KEYS: dict[str, Check] = {
    "data-root": _absolute,
    "exec-root": _absolute,
    "registry-mirrors": _mirrors,
    "insecure-registries": _strings,
    "max-concurrent-downloads": _count,
    "max-concurrent-uploads": _count,
    "default-address-pools": _pools,
    "bip": _cidr,
    "dns": _ips,
    "dns-search": _strings,
    "log-driver": _log_driver,
    "log-opts": _log_opts,
    "default-ulimits": _ulimits,
    "default-runtime": _string,
    "runtimes": _runtimes,
    "features": _features,
    "registry": _registries,  # Podman's registries.conf tables
    "aliases": _aliases,
}
# what a Docker install's daemon.json says that means the same here (its bip is
# docker0's, and its log-driver may be one portside has not: not taken)
DAEMON_JSON_KEYS = (
    "registry-mirrors",
    "insecure-registries",
    "max-concurrent-downloads",
    "max-concurrent-uploads",
    "default-address-pools",
    "dns",
    "dns-search",
    "log-opts",
)


def _own_files(explicit: str | None, environ: Mapping[str, str]) -> list[str]:
    if explicit:
        return [explicit]
    if "PORTSIDE_CONFIG" in environ:
        return [environ["PORTSIDE_CONFIG"]] if environ["PORTSIDE_CONFIG"] else []
    if os.geteuid() == 0:
        return ["/etc/portside/portside.conf"]
    return [f"{_config_home(environ)}/portside/portside.conf"]


def _docker_files(environ: Mapping[str, str]) -> list[str]:
    if "PORTSIDE_DAEMON_JSON" in environ:
        named = environ["PORTSIDE_DAEMON_JSON"]
        return [named] if named else []
    if os.geteuid() == 0:
        return ["/etc/docker/daemon.json"]
    return [f"{_config_home(environ)}/docker/daemon.json"]


def _config_home(environ: Mapping[str, str]) -> str:
    return environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config")


def load(explicit: str | None = None, environ: Mapping[str, str] = os.environ) -> FileConfig:
    """Read and check the configuration files that exist; an empty FileConfig when none
    does (the usual case: two stat calls, no parser imported)."""
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for path in _own_files(explicit, environ):
        if explicit is None and not os.path.exists(path):
            continue
        for key, value in _parse_toml(path).items():
            if key not in KEYS:
                raise _fail(path, key, f"unknown key (known: {', '.join(KEYS)})")
            values[key] = KEYS[key](path, key, value)
            sources[key] = path
    for path in _docker_files(environ):
        if not os.path.exists(path):
            continue
        for key, value in _parse_json(path).items():
            if key in DAEMON_JSON_KEYS and key not in values:
                values[key] = KEYS[key](path, key, value)
                sources[key] = path
    return FileConfig(values, sources)


def _parse_toml(path: str) -> dict[str, Any]:
    import tomllib

    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except OSError as e:
        raise InvalidArgument(f"{path}: cannot read the configuration: {e.strerror}") from None
    except tomllib.TOMLDecodeError as e:
        raise InvalidArgument(f"{path}: not valid TOML: {e}") from None


def _parse_json(path: str) -> dict[str, Any]:
    from .fastjson import loads

    try:
        with open(path, encoding="utf-8") as f:
            data = loads(f.read())
    except OSError as e:
        raise InvalidArgument(f"{path}: cannot read the configuration: {e.strerror}") from None
    except ValueError as e:
        raise InvalidArgument(f"{path}: not valid JSON: {e}") from None
    if not isinstance(data, dict):
        raise InvalidArgument(f"{path}: not a JSON object")
    return data
