"""build's structured flags, read as buildx reads them, once, into records:
``--output`` (``-o``), ``--ssh``."""

from __future__ import annotations

from ..errors import InvalidArgument


def csv_fields(value: str, what: str) -> dict[str, str]:
    """``key=value,key=value`` (one CSV record, keys lower case), as buildx reads
    ``--secret``, ``--output`` and ``--ssh``."""
    import csv

    try:
        fields = next(csv.reader([value], strict=True), [])
    except csv.Error as e:
        raise InvalidArgument(f"failed to parse csv {what}: {e}") from None
    got: dict[str, str] = {}
    for field in fields:
        key, eq, rest = field.partition("=")
        if not eq:
            raise InvalidArgument(f"invalid field '{field}' must be a key=value pair")
        got[key.strip().lower()] = rest
    return got


# each output type's keys besides "type", as BuildKit's exporters take them
_OUTPUT_KEYS = {
    "image": {"name", "push"},
    "local": {"dest"},
    "tar": {"dest"},
    "oci": {"dest", "name"},
    "docker": {"dest", "name"},
    "cacheonly": set(),
}


def output(values: list[str]) -> tuple[str, str, list[str]]:
    """``--output``: (type, dest, names). ``-o DIR`` is ``type=local,dest=DIR``, ``-o -``
    ``type=tar,dest=-`` (stdout), as buildx reads them; none: ``type=image``."""
    if not values:
        return "image", "", []
    if len(values) > 1:
        raise InvalidArgument("only one --output is supported by this builder")
    value = values[0]
    if "=" not in value:
        return ("tar", "-", []) if value == "-" else ("local", value, [])
    fields = csv_fields(value, "output")
    kind = fields.pop("type", "")
    if kind == "registry" or (kind == "image" and fields.get("push") in ("true", "1")):
        raise InvalidArgument(
            f"--output {value}: pushing from build is not supported: build, then portside push"
        )
    if kind not in _OUTPUT_KEYS:
        raise InvalidArgument(
            f'--output {value}: unsupported output type "{kind}": '
            "local, tar, oci, docker, image or cacheonly"
        )
    for key in fields:
        if key not in _OUTPUT_KEYS[kind]:
            raise InvalidArgument(f"--output {value}: unexpected key '{key}' for type={kind}")
    dest = fields.get("dest", "")
    if kind == "docker" and not dest:
        kind = "image"  # buildx's docker exporter without dest loads the image
    elif kind in ("local", "tar", "oci", "docker") and not dest:
        raise InvalidArgument(f"--output {value}: dest is required for type={kind}")
    if kind == "local" and dest == "-":
        raise InvalidArgument(f"--output {value}: a local output needs a folder, not stdout")
    names = [n for n in fields.get("name", "").split(",") if n]
    return kind, dest, names


def ssh(values: list[str]) -> dict[str, str]:
    """``--ssh default|ID[=SOCKET|KEY[,KEY]]``: ID -> what it names ("": the agent
    $SSH_AUTH_SOCK names)."""
    out: dict[str, str] = {}
    for value in values:
        ssh_id, _, path = value.partition("=")
        if not ssh_id:
            raise InvalidArgument(f"invalid --ssh {value}: default|<id>[=<socket>|<key>[,<key>]]")
        out[ssh_id] = path
    return out
