"""``build --cache-to`` and ``--cache-from``, read once at the edge as buildx reads
them: one CSV record of ``key=value`` fields, or a bare image name standing for
``type=registry,ref=NAME``.

- ``type=local,dest=DIR`` / ``type=local,src=DIR``: an OCI image layout in a folder;
- ``type=registry,ref=REF``: the same manifest and blobs in a registry;
- ``type=inline`` (``--cache-to`` only): the cache's records in the image's config,
  its layers being the image's own; read back with ``--cache-from REF`` of the image.

``mode=min`` (the default) leaves the FROM images' layers out, ``mode=max`` carries
them too; ``ignore-error=true`` makes a failed export a warning. ``cache-mounts=true``
(ours: BuildKit cannot, buildkit#1474) also carries what the build's cache mounts
hold.
"""

from __future__ import annotations

from ..errors import InvalidArgument
from ..records import dataclass

TYPES_TO = ("local", "registry", "inline")
TYPES_FROM = ("local", "registry")
# BuildKit's export keys this format answers on its own terms, read and not refused, so
# a CI line written for buildx works: the cache is always an OCI image manifest
# (image-manifest, oci-mediatypes), gzipped in a registry and as the store keeps it in
# a folder (compression...)
FOLLOWED = frozenset(
    {"image-manifest", "oci-mediatypes", "compression", "compression-level", "force-compression"}
)


@dataclass(frozen=True)
class CacheTo:
    type: str  # one of TYPES_TO
    dest: str = ""  # local: the folder
    ref: str = ""  # registry: where the cache goes
    mode: str = "min"  # min | max
    cache_mounts: bool = False  # also what the build's cache mounts hold
    ignore_error: bool = False  # a failed export is a warning, the build succeeds

    def __str__(self) -> str:
        where = {"local": f",dest={self.dest}", "registry": f",ref={self.ref}"}
        return f"type={self.type}{where.get(self.type, '')}"


@dataclass(frozen=True)
class CacheFrom:
    type: str  # one of TYPES_FROM
    src: str = ""  # local: the folder
    ref: str = ""  # registry: a cache, or an image with an inline cache

    def __str__(self) -> str:
        return (
            f"type=local,src={self.src}"
            if self.type == "local"
            else f"type=registry,ref={self.ref}"
        )


def _fields(flag: str, value: str) -> dict[str, str]:
    import csv  # only for a build given these flags

    try:
        rows = list(csv.reader([value]))
    except csv.Error as e:
        raise InvalidArgument(f'invalid {flag} "{value}": {e}') from None
    words = rows[0] if rows else []
    if len(words) == 1 and "=" not in words[0]:
        return {"type": "registry", "ref": words[0]}  # buildx's shorthand for an image
    fields: dict[str, str] = {}
    for word in words:
        key, eq, val = word.partition("=")
        if not eq:
            raise InvalidArgument(f'invalid {flag} "{value}": {word!r} is not key=value')
        fields[key.strip().lower()] = val
    return fields


def _check(flag: str, value: str, fields: dict[str, str], types: tuple[str, ...]) -> str:
    kind = fields.get("type", "")
    if not kind:
        raise InvalidArgument(f'invalid {flag} "{value}": type required')
    if kind not in types:
        raise InvalidArgument(
            f'invalid {flag} "{value}": cache type "{kind}" is not supported: {", ".join(types)}'
        )
    return kind


def _need(flag: str, value: str, fields: dict[str, str], key: str) -> str:
    if not fields.get(key):
        raise InvalidArgument(f'invalid {flag} "{value}": {key} required for type={fields["type"]}')
    return fields[key]


def _flag(flag: str, value: str, fields: dict[str, str], key: str) -> bool:
    word = fields.get(key, "false").lower()
    if word not in ("true", "false"):
        raise InvalidArgument(f'invalid {flag} "{value}": {key} must be true or false')
    return word == "true"


def parse_cache_to(value: str) -> CacheTo:
    flag = "--cache-to"
    fields = _fields(flag, value)
    kind = _check(flag, value, fields, TYPES_TO)
    allowed = {"type", "mode", "cache-mounts", "ignore-error", *FOLLOWED}
    allowed |= {"local": {"dest"}, "registry": {"ref"}}.get(kind, set())
    for key in fields:
        if key not in allowed:
            raise InvalidArgument(f'invalid {flag} "{value}": unexpected key {key!r}')
    mode = fields.get("mode", "min")
    if mode not in ("min", "max"):
        raise InvalidArgument(f'invalid {flag} "{value}": mode must be min or max')
    mounts = _flag(flag, value, fields, "cache-mounts")
    for key in ("image-manifest", "oci-mediatypes", "ignore-error"):
        _flag(flag, value, fields, key)
    if kind == "inline" and (mode == "max" or mounts):
        raise InvalidArgument(
            f'invalid {flag} "{value}": an inline cache holds mode=min and no cache mounts'
        )
    dest = _need(flag, value, fields, "dest") if kind == "local" else ""
    ref = _need(flag, value, fields, "ref") if kind == "registry" else ""
    ignore = _flag(flag, value, fields, "ignore-error")
    return CacheTo(kind, dest, ref, mode, mounts, ignore)


def parse_cache_from(value: str) -> CacheFrom:
    flag = "--cache-from"
    fields = _fields(flag, value)
    kind = _check(flag, value, fields, TYPES_FROM)
    for key in fields:
        if key not in ("type", "src" if kind == "local" else "ref"):
            raise InvalidArgument(f'invalid {flag} "{value}": unexpected key {key!r}')
    if kind == "local":
        return CacheFrom(kind, src=_need(flag, value, fields, "src"))
    return CacheFrom(kind, ref=_need(flag, value, fields, "ref"))
