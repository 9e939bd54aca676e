"""RUN's own flags, typed: ``--mount`` (BuildKit's option grammar), ``--network``
and ``--security``.

A ``--mount`` value is one CSV record of ``key=value`` fields (a field may be quoted,
as ``"target=/a b"``), read as BuildKit's Dockerfile frontend reads it:

- ``type``: bind (the default), cache, tmpfs, secret, ssh;
- ``target``/``dst``/``destination``, ``source``/``src``, ``from``, ``id``,
  ``sharing`` (cache: shared, private, locked), ``mode`` (octal), ``uid``, ``gid``
  (cache, secret and ssh), ``size`` (tmpfs), ``required`` (secret, ssh) and ``env``
  (secret);
- ``readonly``/``ro`` and ``readwrite``/``rw``, bare or ``=true|false``; a bind and
  a secret are read-only unless told, a cache and a tmpfs writable.

Values may hold ``$VAR`` (expanded with the step's build args and ENV, except ``from``,
which must name a stage or image as it is written). The plan checks every mount with
its values unexpanded before anything runs (``parse_mount(v, None)``: a value holding a
variable is checked once expanded, at its step); the step parses again with them.
Errors are ``InvalidArgument``, which the caller turns into ``Dockerfile:LINE: …``.
"""

from __future__ import annotations

from collections.abc import Callable

from ..errors import InvalidArgument
from ..records import dataclass
from ..units import parse_bytes

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from .parser import Node

MOUNT_TYPES = ("bind", "cache", "tmpfs", "secret", "ssh")
SHARING_MODES = ("shared", "private", "locked")
RUN_NETWORKS = ("default", "none", "host")
RUN_SECURITY = ("sandbox", "insecure")
_KEYS = (
    "type",
    "from",
    "source",
    "src",
    "target",
    "dst",
    "destination",
    "readonly",
    "ro",
    "readwrite",
    "rw",
    "id",
    "sharing",
    "required",
    "mode",
    "uid",
    "gid",
    "size",
    "env",
)
_TRUE = ("1", "t", "true", "TRUE", "True")  # Go's strconv.ParseBool
_FALSE = ("0", "f", "false", "FALSE", "False")


def _names_variable(text: str) -> bool:
    """``\\$.`` by hand (re costs a build ~7 ms to import): a ``$`` with a character
    other than a line end after it."""
    at = text.find("$")
    while at >= 0:
        if at + 1 < len(text) and text[at + 1] != "\n":
            return True
        at = text.find("$", at + 1)
    return False


@dataclass(frozen=True)
class Mount:
    """One ``--mount`` of a RUN, its defaults filled in."""

    type: str = "bind"
    target: str = ""
    source: str = ""
    from_: str = ""  # a stage or an image (bind, cache); "" the context (bind)
    readonly: bool = True
    id: str = ""  # cache: its identity (default: the target); secret: which secret
    sharing: str = "shared"
    required: bool = False  # secret: a build without it fails
    mode: int | None = None
    uid: int | None = None
    gid: int | None = None
    size: int | None = None  # tmpfs: bytes
    env: str | None = None  # secret: the variable that holds it

    @property
    def cache_id(self) -> str:
        return self.id or self.target

    @property
    def secret_id(self) -> str:
        """A secret's ID: ``id``, else ``source``, else the target's last component."""
        return self.id or self.source or self.target.rstrip("/").rpartition("/")[2]

    @property
    def ssh_id(self) -> str:
        """Which ``build --ssh`` agent an ssh mount forwards: ``id``, else "default"."""
        return self.id or "default"

    @property
    def secret_target(self) -> str | None:
        """Where the secret's file goes: ``target``, ``/run/secrets/ID`` when it is
        not given to a variable, else nowhere."""
        if self.target:
            return self.target
        if self.env is not None:
            return None
        return "/run/secrets/" + self.secret_id.rpartition("/")[2]


def _bool(key: str, value: str) -> bool:
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise InvalidArgument(f"invalid value for {key}: {value}")


def _number(key: str, value: str, base: int) -> int:
    try:
        number = int(value, base)
    except ValueError:
        number = -1
    if not 0 <= number < 2**32:
        raise InvalidArgument(f"invalid value {value} for {key}")
    return number


def parse_mount(value: str, expand: Callable[[str], str] | None) -> Mount:
    """One ``--mount`` value; ``expand`` expands a value's variables (None: the plan's
    check, values with variables are left for the step)."""
    import csv  # with re: only for a RUN --mount (re costs a build ~7 ms)

    try:
        fields = next(csv.reader([value], strict=True), [])
    except csv.Error as e:
        raise InvalidArgument(f"failed to parse csv mounts: {e}") from None
    got: dict[str, object] = {"type": "bind"}
    readonly: bool | None = None
    for field in fields:
        key, eq, raw = field.partition("=")
        key = key.lower()
        if key not in _KEYS and eq:
            raise InvalidArgument(f"unexpected key '{key}' in '{field}'")
        if not eq:
            if key in ("readonly", "ro"):
                readonly = True
            elif key in ("readwrite", "rw"):
                readonly = False
            elif key == "required":
                got["required"] = True
            else:
                raise InvalidArgument(f"invalid field '{field}' must be a key=value pair")
            continue
        if key == "from" and _names_variable(raw):
            raise InvalidArgument(
                f"'{key}' doesn't support variable expansion, define alias stage instead"
            )
        if expand is not None and key != "from":
            raw = expand(raw)
        elif expand is None and _names_variable(raw):
            got.setdefault("deferred", True)
            continue  # checked at the step, once expanded
        if key == "type":
            if raw.lower() not in MOUNT_TYPES:
                raise InvalidArgument(
                    f'unsupported mount type "{raw}": bind, cache, tmpfs, secret or ssh'
                )
            got["type"] = raw.lower()
        elif key == "from":
            got["from_"] = raw
        elif key in ("source", "src"):
            got["source"] = raw
        elif key in ("target", "dst", "destination"):
            got["target"] = raw
        elif key in ("readonly", "ro"):
            readonly = _bool(key, raw)
        elif key in ("readwrite", "rw"):
            readonly = not _bool(key, raw)
        elif key == "required":
            got["required"] = _bool(key, raw)
        elif key == "id":
            got["id"] = raw
        elif key == "sharing":
            if raw.lower() not in SHARING_MODES:
                raise InvalidArgument(
                    f'unsupported sharing value "{raw}": shared, private or locked'
                )
            got["sharing"] = raw.lower()
        elif key == "mode":
            got["mode"] = _number(key, raw, 8)
        elif key in ("uid", "gid"):
            got[key] = _number(key, raw, 10)
        elif key == "size":
            try:
                got["size"] = parse_bytes(raw)
            except (InvalidArgument, ValueError):
                raise InvalidArgument(f"invalid value for size: {raw}") from None
        elif key == "env":
            got["env"] = raw
    deferred = bool(got.pop("deferred", False))
    return _validate(got, readonly, deferred)


def _validate(got: dict[str, object], readonly: bool | None, deferred: bool) -> Mount:
    kind = str(got["type"])
    for key in ("mode", "uid", "gid"):
        if key in got and kind not in ("cache", "secret", "ssh"):
            raise InvalidArgument(f'{key} not allowed for "{kind}" type mounts')
    only = {"size": ("tmpfs",), "required": ("secret", "ssh"), "env": ("secret",)}
    for key, kinds in only.items():
        if key in got and kind not in kinds:
            raise InvalidArgument(f"unexpected key '{key}' for mount type '{kind}'")
    if "sharing" in got and kind != "cache":
        raise InvalidArgument(f"invalid cache sharing set for {kind} mount")
    if readonly is None:
        readonly = kind not in ("cache", "tmpfs")
    mount = Mount(readonly=readonly, **got)  # type: ignore[arg-type]
    if kind == "secret":
        if mount.from_:
            raise InvalidArgument("secret mount should not have a from")
        if mount.source and mount.id:
            raise InvalidArgument("both source and id can't be set")
        if not (mount.source or mount.target or mount.id or deferred):
            raise InvalidArgument("invalid secret mount. one of source, target required")
    elif kind in ("tmpfs", "ssh") and mount.from_:
        raise InvalidArgument(f"unexpected key 'from' for mount type '{kind}'")
    elif kind == "ssh":
        pass  # default target: /run/buildkit/ssh_agent.N
    elif not mount.target and not deferred:
        raise InvalidArgument(f"mount type={kind} requires a target")
    if mount.target.strip("/") == "" and mount.target and not deferred:
        raise InvalidArgument(f'invalid mount target "{mount.target}"')
    return mount


def parse_run_flags(flags: dict[str, str]) -> None:
    """``--network`` and ``--security`` of a RUN: known values, or InvalidArgument."""
    network = flags.get("network")
    if network is not None and network not in RUN_NETWORKS:
        raise InvalidArgument(f'unsupported network mode "{network}": default, none or host')
    security = flags.get("security")
    if security is not None and security not in RUN_SECURITY:
        raise InvalidArgument(f'unsupported security mode "{security}": sandbox or insecure')


def mount_sources(nodes: list[Node]) -> list[str]:
    """The stages and images a stage's RUN mounts read (``from=``): it needs them."""
    out = []
    for node in nodes:
        if node.instruction != "RUN":
            continue
        for value in node.flag_values("mount"):
            try:
                mount = parse_mount(value, None)
            except InvalidArgument:
                continue  # the plan refused it already
            if mount.from_:
                out.append(mount.from_)
    return out
