"""Settings, built once from flags, the environment and the configuration files
(config_file.py), and passed down. Flags win over ``PORTSIDE_*`` variables, which win
over portside.conf, which wins over Docker's daemon.json, which wins over defaults.

The store's folders are strings (absolute, normalised), not ``pathlib`` paths: every
command reads them, and ``import pathlib`` costs ~4 ms (docs/benchmarks.md)."""

from __future__ import annotations

import os

from .records import dataclass, field

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any

    from .config_file import FileConfig, Mirror

DEFAULT_ROOT = "/var/lib/portside"
DEFAULT_RUNROOT = "/run/portside"
DEFAULT_INSECURE = ("localhost", "127.0.0.0/8", "::1/128")  # Docker's: loopback
DOCKER_HUB = "docker.io"


@dataclass(frozen=True)
class Settings:
    root: str  # the store (--root, data-root)
    runroot: str  # runtime state (--runroot, exec-root)
    runtime: str = "runc"
    max_concurrent_downloads: int = 3  # layers pulled at once (dockerd's flag of that name)
    max_concurrent_uploads: int = 3  # blobs pushed at once
    # names, host:port or CIDRs reached with unverified TLS, then plain HTTP
    insecure_registries: tuple[str, ...] = DEFAULT_INSECURE
    mirrors: dict[str, tuple[Mirror, ...]] = field(default_factory=dict)  # registry -> mirrors
    aliases: dict[str, str] = field(default_factory=dict)  # short name -> full reference
    dns: tuple[str, ...] = ()  # a container's servers when run has no --dns
    dns_search: tuple[str, ...] = ()
    log_opts: dict[str, str] = field(default_factory=dict)  # json-file max-size, max-file
    log_driver: str = ""  # a container's when run gives none ("": json-file)
    default_ulimits: dict[str, tuple[int, int]] = field(default_factory=dict)
    address_pools: tuple[tuple[str, int], ...] = ()  # (base, size) for new networks
    bip: str = ""  # the default bridge's gateway address and prefix (10.50.0.1/24)
    features: dict[str, bool] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)  # each configured key's file

    @property
    def api_socket(self) -> str:
        """Where ``system service`` listens when given no address."""
        return f"{self.runroot}/portside.sock"

    @classmethod
    def from_env(
        cls,
        root: str | os.PathLike[str] | None = None,
        runroot: str | os.PathLike[str] | None = None,
        environ: Mapping[str, str] = os.environ,
        config: str | None = None,
    ) -> Settings:
        """The settings for one process: ``config`` names the configuration file
        (``--config``); an unusable file or value is InvalidArgument, one line."""
        from .config_file import load

        file = load(config, environ)
        return cls(
            root=_path(root, environ, "PORTSIDE_ROOT", file.get("data-root"), _default_root),
            runroot=_path(
                runroot, environ, "PORTSIDE_RUNROOT", file.get("exec-root"), _default_runroot
            ),
            runtime=environ.get("PORTSIDE_RUNTIME") or _runtime(file),
            max_concurrent_downloads=_count(
                environ,
                "PORTSIDE_MAX_CONCURRENT_DOWNLOADS",
                file.get("max-concurrent-downloads", 3),
            ),
            max_concurrent_uploads=_count(
                environ, "PORTSIDE_MAX_CONCURRENT_UPLOADS", file.get("max-concurrent-uploads", 3)
            ),
            insecure_registries=_insecure(environ, file),
            mirrors=_mirrors(file),
            aliases=file.get("aliases", {}),
            dns=file.get("dns", ()),
            dns_search=file.get("dns-search", ()),
            log_opts=file.get("log-opts", {}),
            log_driver=file.get("log-driver", ""),
            default_ulimits=file.get("default-ulimits", {}),
            address_pools=file.get("default-address-pools", ()),
            bip=file.get("bip", ""),
            features=file.get("features", {}),
            sources=file.sources,
        )


def _path(
    given: str | os.PathLike[str] | None,
    environ: Mapping[str, str],
    variable: str,
    configured: str | None,
    default: Callable[[Mapping[str, str]], str],
) -> str:
    chosen = given or environ.get(variable) or configured or default(environ)
    return os.path.abspath(os.fspath(chosen))


def _default_root(environ: Mapping[str, str]) -> str:
    """/var/lib/portside for root; an ordinary user's own store (userns.py)."""
    if os.geteuid() == 0:
        return DEFAULT_ROOT
    from .userns import default_root

    return default_root(environ)


def _default_runroot(environ: Mapping[str, str]) -> str:
    if os.geteuid() == 0:
        return DEFAULT_RUNROOT
    from .userns import default_runroot

    return default_runroot(environ)


def _runtime(file: FileConfig) -> str:
    """``default-runtime``: a name in ``runtimes`` (its path), or a command (runc, crun)."""
    name: str = file.get("default-runtime", "runc")
    runtimes: dict[str, str] = file.get("runtimes", {})
    return runtimes.get(name, name)


def _insecure(environ: Mapping[str, str], file: FileConfig) -> tuple[str, ...]:
    """``$PORTSIDE_INSECURE_REGISTRIES`` (comma-separated) replaces the list, loopback
    included, so a test can hold a loopback registry to full TLS; the configuration's
    ``insecure-registries`` add to loopback, as Docker's do."""
    listed = environ.get("PORTSIDE_INSECURE_REGISTRIES")
    if listed is not None:
        return tuple(i.strip() for i in listed.split(",") if i.strip())
    return DEFAULT_INSECURE + tuple(file.get("insecure-registries", ()))


def _mirrors(file: FileConfig) -> dict[str, tuple[Mirror, ...]]:
    """``registry-mirrors`` are Docker Hub's (as in daemon.json); ``[[registry]]``
    tables name mirrors for any registry."""
    out: dict[str, tuple[Any, ...]] = dict(file.get("registry", {}))
    hub = file.get("registry-mirrors", ())
    if hub:
        out[DOCKER_HUB] = tuple(hub) + tuple(out.get(DOCKER_HUB, ()))
    return {k: v for k, v in out.items() if v}


def _count(environ: Mapping[str, str], name: str, default: int) -> int:
    """A positive whole number from the environment; an unusable value is an error."""
    text = environ.get(name)
    if text is None or text == "":
        return default
    if not text.isdigit() or int(text) < 1:
        from .errors import InvalidArgument

        raise InvalidArgument(f"{name}={text}: must be a whole number of at least 1")
    return int(text)
