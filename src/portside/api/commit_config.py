"""``POST /commit``'s body (Docker's container Config, as docker-py sends ``conf``) as the
engine's ``CommitConfig``; the engine decides how it meets the container's config."""

from __future__ import annotations

from ..engine.commit_config import CommitConfig
from .server import BadRequest

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import Any


def commit_config(body: Any) -> CommitConfig | None:
    """None for no body, ``null`` or ``{}`` (the docker CLI's commit, docker-py's
    without ``conf``)."""
    if not body:
        return None
    if not isinstance(body, dict):
        raise BadRequest("invalid commit config: not a JSON object")
    labels = body.get("Labels") or {}
    if not isinstance(labels, dict):
        raise BadRequest("invalid commit config: Labels must be an object")
    return CommitConfig(
        cmd=_words(body.get("Cmd"), "Cmd"),
        entrypoint=_words(body.get("Entrypoint"), "Entrypoint"),
        env=_words(body.get("Env"), "Env") or (),
        labels={str(k): str(v) for k, v in labels.items()},
        exposed_ports=tuple(
            p if "/" in p else f"{p}/tcp" for p in _keys(body.get("ExposedPorts"), "ExposedPorts")
        ),
        volumes=tuple(_keys(body.get("Volumes"), "Volumes")),
        working_dir=str(body.get("WorkingDir") or ""),
        user=str(body.get("User") or ""),
        stop_signal=str(body.get("StopSignal") or ""),
    )


def _words(value: Any, name: str) -> tuple[str, ...] | None:
    """Docker's strslice: a list of strings, or one string (one word)."""
    if value is None:
        return None
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    raise BadRequest(f"invalid commit config: {name} must be a list of strings")


def _keys(value: Any, name: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, dict):
        return [str(k) for k in value]
    if isinstance(value, list):  # docker-py's ports as a list
        return [str(k) for k in value]
    raise BadRequest(f"invalid commit config: {name} must be an object")
