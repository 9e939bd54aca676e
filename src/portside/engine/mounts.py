"""What a container mounts: ``-v``, ``--mount``, ``--tmpfs``, ``--volumes-from`` and
the image's ``VOLUME`` paths, parsed with Docker's rules and refused with its words
(the parsers serve the front ends through engine/container_options.py's Mount).

The result is a list of MountRow (store/volumes.py), fixed when the container is
created: an anonymous volume gets its name then, so every start mounts the same one.
"""

from __future__ import annotations

import os

from ..errors import InvalidArgument
from ..store.volumes import MountRow
from .names import is_docker_name

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

PROPAGATIONS = frozenset({"private", "rprivate", "shared", "rshared", "slave", "rslave"})
_MODES = frozenset({"ro", "rw", "z", "Z", "nocopy", "consistent", "cached", "delegated"})
_TRUE = {"", "1", "true"}
_FALSE = {"0", "false"}


def parse_volume(spec: str) -> MountRow:
    """``-v [SOURCE:]DESTINATION[:MODE]``: a bind when SOURCE is an absolute path, a
    named volume when it is a name, an anonymous volume without it."""
    parts = spec.split(":")
    if len(parts) > 3 or not all(parts):
        raise InvalidArgument(f"invalid volume specification: '{spec}'")
    if len(parts) == 1:
        source, destination, mode = "", parts[0], ""
    elif len(parts) == 2:
        source, destination, mode = parts[0], parts[1], ""
    else:
        source, destination, mode = parts
    kind = "bind" if source.startswith("/") else "volume"
    _check_destination(spec, kind, destination)
    readonly, propagation, nocopy = _mode(mode)
    if kind == "bind":
        return MountRow(
            "bind",
            os.path.normpath(source),
            _clean(destination),
            readonly,
            mode,
            propagation or "rprivate",
        )
    if propagation:
        raise InvalidArgument(f"invalid mode: {mode}")
    if source:
        check_volume_name(source)
    return MountRow(
        "volume",
        source,
        _clean(destination),
        readonly,
        mode or ("z" if source else ""),
        options="nocopy" if nocopy else "",
    )


def check_volume_name(name: str) -> None:
    if len(name) < 2 or not is_docker_name(name):  # [a-zA-Z0-9][a-zA-Z0-9_.-]+
        raise InvalidArgument(
            f'create {name}: "{name}" includes invalid characters for a local volume name, '
            'only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host '
            "directory, use absolute path"
        )


def parse_mount(text: str) -> MountRow:
    """``--mount type=bind|volume|tmpfs,source=…,target=…[,readonly][,…]``."""
    fields: dict[str, str] = {}
    for item in text.split(","):
        key, eq, value = item.partition("=")
        key = key.strip().lower()
        if key not in _MOUNT_KEYS:
            raise InvalidArgument(
                f'invalid argument "{text}" for "--mount" flag: unexpected key \'{key}\' '
                f"in '{item}'"
            )
        fields[_MOUNT_KEYS[key]] = value if eq else ""
    kind = fields.pop("type", "volume")
    if kind not in ("bind", "volume", "tmpfs"):
        raise InvalidArgument(f'invalid argument "{text}" for "--mount" flag: type \'{kind}\'')
    target = fields.pop("target", "")
    _check_target(kind, target)
    source = fields.pop("source", "")
    readonly = _flag(text, "readonly", fields.pop("readonly", None))
    propagation = fields.pop("bind-propagation", "")
    nocopy = _flag(text, "volume-nocopy", fields.pop("volume-nocopy", None))
    size, mode = fields.pop("tmpfs-size", ""), fields.pop("tmpfs-mode", "")
    driver = fields.pop("volume-driver", "local")
    fields.pop("consistency", None)
    fields.pop("volume-label", None)
    if driver != "local":
        raise InvalidArgument(f'plugin "{driver}" not found')
    given = (kind, target, source, readonly, propagation, nocopy)
    mount_row(*given, 0 if size else None, 0 if mode else None)  # the fields' errors first
    return mount_row(*given, _bytes(text, size) if size else None, _octal(text, mode))


def mount_row(
    kind: str,
    target: str,
    source: str = "",
    readonly: bool = False,
    propagation: str = "",
    nocopy: bool = False,
    tmpfs_size: int | None = None,
    tmpfs_mode: int | None = None,
) -> MountRow:
    """A ``--mount`` (or the Engine API's Mount) from its fields, checked with Docker's
    words."""
    bad = f'invalid mount config for type "{kind}"'
    if kind not in ("bind", "volume", "tmpfs"):
        raise InvalidArgument(f"{bad}: mount type unknown")
    _check_target(kind, target)
    if propagation and kind != "bind":
        raise InvalidArgument(f"{bad}: field BindOptions must not be specified")
    if (tmpfs_size is not None or tmpfs_mode is not None) and kind != "tmpfs":
        raise InvalidArgument(f"{bad}: field TmpfsOptions must not be specified")
    if kind == "bind":
        if not source:
            raise InvalidArgument(f"{bad}: field Source must not be empty")
        if not source.startswith("/"):
            raise InvalidArgument(
                f"{bad}: invalid mount path: '{source}' mount path must be absolute"
            )
        if propagation and propagation not in PROPAGATIONS:
            raise InvalidArgument(f'{bad}: invalid propagation mode "{propagation}"')
        return MountRow(
            "bind",
            os.path.normpath(source),
            _clean(target),
            readonly,
            propagation=propagation or "rprivate",
        )
    if kind == "tmpfs":
        if source:
            raise InvalidArgument(f"{bad}: field Source must not be specified")
        options = [f"size={tmpfs_size}"] if tmpfs_size is not None else []
        if tmpfs_mode is not None:
            options.append(f"mode={tmpfs_mode:o}")
        return MountRow("tmpfs", "", _clean(target), readonly, options=",".join(options))
    if source:
        check_volume_name(source)
    return MountRow("volume", source, _clean(target), readonly, options="nocopy" if nocopy else "")


_MOUNT_KEYS = {
    "type": "type",
    "source": "source",
    "src": "source",
    "target": "target",
    "destination": "target",
    "dst": "target",
    "readonly": "readonly",
    "ro": "readonly",
    "bind-propagation": "bind-propagation",
    "volume-nocopy": "volume-nocopy",
    "volume-driver": "volume-driver",
    "volume-label": "volume-label",
    "tmpfs-size": "tmpfs-size",
    "tmpfs-mode": "tmpfs-mode",
    "consistency": "consistency",
}


def parse_tmpfs(spec: str) -> MountRow:
    """``--tmpfs /path[:OPTIONS]`` (mount(8) options: size=64m,mode=1777,noexec …)."""
    destination, _, options = spec.partition(":")
    return tmpfs_row(destination, options)


def tmpfs_row(destination: str, options: str = "") -> MountRow:
    if not destination.startswith("/"):
        raise InvalidArgument(f"invalid mount path: '{destination}' mount path must be absolute")
    words = [w for w in options.split(",") if w]
    return MountRow("tmpfs", "", _clean(destination), "ro" in words, "", "", ",".join(words))


def resolve(
    given: Sequence[MountRow],
    inherited: Iterable[MountRow],
    image_volumes: Iterable[str],
) -> list[MountRow]:
    """Every mount of a new container, in Docker's order of precedence: those ``given``
    (``-v``, ``--mount`` and ``--tmpfs``; two at one destination are refused), then
    those of ``--volumes-from`` containers and the image's VOLUME paths where nothing
    else is mounted (those as anonymous volumes)."""
    rows = list(given)
    seen: set[str] = set()
    for row in rows:
        if row.destination in seen:
            raise InvalidArgument(f"Duplicate mount point: {row.destination}")
        seen.add(row.destination)
    for row in inherited:
        if row.destination not in seen and row.type != "tmpfs":
            seen.add(row.destination)
            rows.append(row)
    for path in image_volumes:
        destination = _clean(path)
        if destination not in seen:
            seen.add(destination)
            rows.append(MountRow("volume", "", destination))
    return rows


def volumes_from(spec: str) -> tuple[str, bool | None]:
    """``--volumes-from CONTAINER[:ro|rw]``: the container, and the access it forces."""
    ref, _, mode = spec.partition(":")
    if mode not in ("", "ro", "rw"):
        raise InvalidArgument(f"invalid mode: {mode}")
    return ref, {"": None, "ro": True, "rw": False}[mode]


def in_mount_order(rows: Iterable[MountRow]) -> list[MountRow]:
    """Parents before what is mounted inside them (``/data`` before ``/data/logs``)."""
    return sorted(rows, key=lambda r: len(r.destination.rstrip("/").split("/")))


def _check_destination(spec: str, kind: str, destination: str) -> None:
    bad = f"invalid volume specification: '{spec}': invalid mount config for type \"{kind}\""
    if not destination.startswith("/"):
        raise InvalidArgument(
            f"{bad}: invalid mount path: '{destination}' mount path must be absolute"
        )
    if _clean(destination) == "/":
        raise InvalidArgument(f"{bad}: invalid specification: destination can't be '/'")


def _mode(mode: str) -> tuple[bool, str, bool]:
    """(read-only, propagation, nocopy) from ``ro,rshared,z``; Docker's error otherwise."""
    words = mode.split(",") if mode else []
    access = [w for w in words if w in ("ro", "rw")]
    propagation = [w for w in words if w in PROPAGATIONS]
    if any(w not in _MODES and w not in PROPAGATIONS for w in words) or (
        len(access) > 1 or len(propagation) > 1
    ):
        raise InvalidArgument(f"invalid mode: {mode}")
    return access == ["ro"], (propagation or [""])[0], "nocopy" in words


def _check_target(kind: str, target: str) -> None:
    bad = f'invalid mount config for type "{kind}"'
    if not target:
        raise InvalidArgument(f"{bad}: field Target must not be empty")
    if not target.startswith("/"):
        raise InvalidArgument(f"{bad}: invalid mount path: '{target}' mount path must be absolute")


def _octal(text: str, mode: str) -> int | None:
    if not mode:
        return None
    try:
        return int(mode, 8)
    except ValueError:
        raise InvalidArgument(f'invalid argument "{text}" for "--mount" flag') from None


def _flag(text: str, key: str, value: str | None) -> bool:
    if value is None:
        return False
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise InvalidArgument(f'invalid argument "{text}" for "--mount" flag: invalid value for {key}')


def _bytes(text: str, size: str) -> int:
    from ..units import parse_bytes

    try:
        return parse_bytes(size)
    except ValueError:
        raise InvalidArgument(
            f'invalid argument "{text}" for "--mount" flag: invalid tmpfs-size'
        ) from None


def _clean(path: str) -> str:
    return os.path.normpath(path) if path != "/" else "/"
