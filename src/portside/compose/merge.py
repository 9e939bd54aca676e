"""``-f a.yaml -f b.yaml``: later files merged into earlier ones as Compose merges them,
on the canonical forms of schema.py.

Mappings (``environment``, ``labels``, ``networks``, ``depends_on``, ``build``,
``healthcheck``, ``deploy``) merge key by key, the later value winning; ``ports`` and
the other plain lists are the union of both (in order, without repeats); ``volumes``
merge by their target path; ``env_file`` appends; anything else (``image``,
``command``, ``entrypoint`` …) is replaced.
"""

from __future__ import annotations

from .yamlfile import Located

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import Any

_UNION = ("ports", "expose", "cap_add", "cap_drop", "dns", "extra_hosts", "security_opt", "tmpfs")


def merge_mappings(base: Any, other: Any) -> Any:
    """``other`` over ``base``, recursively where both are mappings."""
    if not isinstance(base, dict) or not isinstance(other, dict):
        return other
    out = base.like() if isinstance(base, Located) else {}
    out.update(base)
    for key, value in other.items():
        out[key] = merge_mappings(base[key], value) if key in base else value
        if isinstance(out, Located) and isinstance(other, Located):
            out.marks[key] = other.mark_of(key)
    return out


def merge_service(base: Located, other: Located) -> Located:
    out = base.like()
    out.update(base)
    for key, value in other.items():
        out.marks[key] = other.mark_of(key)
        if key not in base:
            out[key] = value
        elif key in _UNION:
            out[key] = _union(base[key], value)
        elif key == "volumes":
            by_target = {v["target"]: v for v in base[key]}
            by_target.update((v["target"], v) for v in value)
            out[key] = list(by_target.values())
        elif key == "env_file":
            out[key] = [*base[key], *value]
        elif isinstance(value, dict):
            out[key] = merge_mappings(base[key], value)
        else:
            out[key] = value
    return out


def _union(first: list[Any], second: list[Any]) -> list[Any]:
    out = list(first)
    for item in second:
        if item not in out:
            out.append(item)
    return out
