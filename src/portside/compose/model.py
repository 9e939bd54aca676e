"""A Compose project from its files: which files (``-f``, ``COMPOSE_FILE``, or the
first of compose.yaml, compose.yml, docker-compose.yml, docker-compose.yaml found in
the working directory or above it, with its ``.override`` file), the variables (the
environment over the project's ``.env``), each file read, interpolated and checked
(schema.py), the files merged (merge.py), the project's name, and the services the
active profiles enable.

The project name is ``-p``, else ``COMPOSE_PROJECT_NAME``, else the top-level
``name:``, else the project directory's name made lower case without the characters
Compose drops.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from ..errors import ComposeFileError, InvalidArgument
from ..records import dataclass, field
from . import schema
from .interpolate import interpolate, read_env_file
from .merge import merge_mappings, merge_service
from .yamlfile import Located, load

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import Any

FILE_NAMES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")
OVERRIDE_NAMES = (
    "compose.override.yaml",
    "compose.override.yml",
    "docker-compose.override.yml",
    "docker-compose.override.yaml",
)
_PROJECT_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


@dataclass(frozen=True)
class Project:
    name: str
    working_dir: Path
    config_files: tuple[Path, ...]
    services: dict[str, Located]  # every service, canonical (schema.py), merged
    networks: dict[str, dict[str, Any]]  # key -> {name, external, labels, …}
    volumes: dict[str, dict[str, Any]]
    enabled: tuple[str, ...]  # the services the active profiles enable, in file order
    env: dict[str, str] = field(default_factory=dict)

    def service(self, name: str) -> Located:
        if name not in self.services:
            raise InvalidArgument(f"no such service: {name}")
        return self.services[name]

    def to_dict(self) -> dict[str, Any]:
        """What ``compose config`` prints: the enabled services and what they use."""
        return {
            "name": self.name,
            "services": {name: _plain(self.services[name]) for name in sorted(self.enabled)},
            **({"networks": _plain(self.networks)} if self.networks else {}),
            **({"volumes": _plain(self.volumes)} if self.volumes else {}),
        }


@dataclass(frozen=True)
class Options:
    """What the ``compose`` command's global flags say."""

    files: tuple[str, ...] = ()  # -f
    project_name: str = ""  # -p
    project_directory: str = ""  # --project-directory
    env_files: tuple[str, ...] = ()  # --env-file
    profiles: tuple[str, ...] = ()  # --profile


def load_project(
    options: Options,
    environ: Mapping[str, str],
    cwd: Path,
    warn: Callable[[str], None],
    requested: Sequence[str] = (),
) -> Project:
    start = Path(cwd, options.project_directory).resolve() if options.project_directory else cwd
    files = _files(options, environ, cwd, start)
    workdir = (
        Path(cwd, options.project_directory).resolve()
        if options.project_directory
        else files[0].parent
    )
    env = _environment(options, environ, workdir)
    doc: Located | None = None
    for path in files:
        shown = str(path.relative_to(cwd)) if path.is_relative_to(cwd) else str(path)
        one = _read(path, shown, env, warn, workdir)
        doc = one if doc is None else _merge_files(doc, one)
    assert doc is not None
    name = _project_name(options, env, doc, workdir)
    services: dict[str, Located] = doc.get("services") or {}
    networks = _resources("networks", doc, name)
    volumes = _resources("volumes", doc, name)
    for svc_name, svc in services.items():
        _check_references(svc_name, svc, services, networks, volumes)
        if "image" not in svc and "build" not in svc:
            schema.fail(
                svc.mark, f"services.{svc_name}", "has neither an image nor a build context"
            )
    if any("default" in (svc.get("networks") or {"default": None}) for svc in services.values()):
        networks.setdefault("default", {"name": f"{name}_default"})
    active = set(options.profiles) or {p for p in env.get("COMPOSE_PROFILES", "").split(",") if p}
    enabled = tuple(
        n
        for n, svc in services.items()
        if n in requested or not svc.get("profiles") or active & set(svc["profiles"])
    )
    for wanted in requested:
        if wanted not in services:
            raise InvalidArgument(f"no such service: {wanted}")
    return Project(name, workdir, tuple(files), services, networks, volumes, enabled, env)


def _files(options: Options, environ: Mapping[str, str], cwd: Path, start: Path) -> list[Path]:
    """``-f`` files (relative to the working directory), else ``COMPOSE_FILE``'s, else
    the first of FILE_NAMES in ``start`` (the project directory) or above it."""
    given = list(options.files) or [
        f for f in environ.get("COMPOSE_FILE", "").split(os.pathsep) if f
    ]
    if given:
        return [Path(cwd, f).resolve() for f in given]
    for folder in (start, *start.parents):
        for name in FILE_NAMES:
            if (folder / name).is_file():
                found = [folder / name]
                overrides = [folder / o for o in OVERRIDE_NAMES if (folder / o).is_file()]
                return found + overrides[:1]
    raise InvalidArgument(
        "no configuration file provided: not found (looked for "
        + ", ".join(FILE_NAMES)
        + " in this directory and its parents)"
    )


def _environment(options: Options, environ: Mapping[str, str], workdir: Path) -> dict[str, str]:
    """The process's environment over the project's ``.env`` (or ``--env-file`` ones)."""
    dotenv: dict[str, str] = {}
    paths = [Path(workdir, f) for f in options.env_files] or [workdir / ".env"]
    for path in paths:
        if path.is_file():
            dotenv.update(read_env_file(path, {**environ, **dotenv}))
        elif options.env_files:
            raise InvalidArgument(f"couldn't find env file: {path}")
    return {**dotenv, **environ}


def _read(
    path: Path, shown: str, env: Mapping[str, str], warn: Callable[[str], None], base: Path
) -> Located:
    raw = load(path, shown)
    schema.check_top(raw)
    doc: Located = interpolate(raw, env, warn)
    for key in [k for k in doc if k.startswith("x-") or k == "version"]:
        del doc[key]  # extensions are for anchors; version is obsolete in Compose
    services = doc.get("services") or Located()
    out = services.like()
    for name, svc in services.items():
        out[name] = schema.service(name, svc, services.mark_of(name), base)
    doc["services"] = out
    for kind in ("networks", "volumes"):
        given = doc.get(kind) or Located()
        doc[kind] = {
            key: schema.resource(kind, key, spec, given.mark_of(key)) for key, spec in given.items()
        }
    return doc


def _merge_files(base: Located, other: Located) -> Located:
    out = base.like()
    out.update(base)
    if "name" in other:
        out["name"] = other["name"]
    services = base["services"].like()
    services.update(base["services"])
    for name, svc in other["services"].items():
        services[name] = merge_service(services[name], svc) if name in services else svc
    out["services"] = services
    for kind in ("networks", "volumes"):
        out[kind] = merge_mappings(base[kind], other[kind])
    return out


def _project_name(options: Options, env: Mapping[str, str], doc: Located, workdir: Path) -> str:
    given = options.project_name or env.get("COMPOSE_PROJECT_NAME", "") or doc.get("name", "")
    if given:
        if not _PROJECT_NAME.match(str(given)):
            raise InvalidArgument(
                f'invalid project name "{given}": must consist only of lowercase alphanumeric '
                "characters, hyphens, and underscores as well as start with a letter or number"
            )
        return str(given)
    return normalize_name(workdir.name)


def normalize_name(text: str) -> str:
    """A directory's name as Compose makes it a project name: lower case, only
    ``[a-z0-9_-]``, starting with a letter or digit."""
    name = re.sub(r"[^a-z0-9_-]", "", text.lower())
    return name.lstrip("_-") or "default"


def _resources(kind: str, doc: Located, project: str) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for key, spec in (doc.get(kind) or {}).items():
        entry = dict(spec)
        if "name" not in entry:
            entry["name"] = key if entry.get("external") else f"{project}_{key}"
        out[key] = entry
    return out


def _check_references(
    name: str,
    svc: Located,
    services: Mapping[str, Any],
    networks: Mapping[str, Any],
    volumes: Mapping[str, Any],
) -> None:
    where = f"services.{name}"
    for dep, spec in (svc.get("depends_on") or {}).items():
        if dep not in services and spec.get("required", True):
            schema.fail(
                svc.mark_of("depends_on"),
                f"{where}.depends_on",
                f'depends on undefined service "{dep}"',
            )
    for net in svc.get("networks") or {}:
        if net not in networks and net != "default":
            schema.fail(svc.mark_of("networks"), f"{where}.networks", f'undefined network "{net}"')
    for vol in svc.get("volumes") or []:
        if vol["type"] == "volume" and vol.get("source") and vol["source"] not in volumes:
            raise ComposeFileError(
                *svc.mark_of("volumes"),
                f"{where}.volumes",
                f'named volume "{vol["source"]}" is used but no declaration was found '
                "in the volumes section",
            )


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
