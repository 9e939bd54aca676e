"""The config a ``commit`` is given (the Engine API's body, docker-py's ``conf``), and how
Docker applies it to the committed image (moby ``daemon/commit.go``: ``merge``).

The given config, with the ``--change`` lines applied to it, wins field by field; the
container's config fills what it leaves unset:

- User, WorkingDir, StopSignal: the container's when not given.
- Env: the container's variables whose names the given ones do not set are appended.
- Labels, ExposedPorts, Volumes: the union, the given value winning for a label.
- Cmd and Entrypoint: with no Entrypoint given, Cmd is the container's when not given
  either, and Entrypoint is the container's unless given as empty (``[]`` clears it).
"""

from __future__ import annotations

from ..records import dataclass, field

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import Any


@dataclass(frozen=True)
class CommitConfig:
    """What a commit sets in the image's config; None / empty: not given."""

    cmd: tuple[str, ...] | None = None
    entrypoint: tuple[str, ...] | None = None  # () given: no entrypoint
    env: tuple[str, ...] = ()  # NAME=value
    labels: dict[str, str] = field(default_factory=dict)
    exposed_ports: tuple[str, ...] = ()  # "80/tcp"
    volumes: tuple[str, ...] = ()
    working_dir: str = ""
    user: str = ""
    stop_signal: str = ""

    def to_config(self) -> dict[str, Any]:
        """As an image config's fields (Docker's names), what is given only."""
        config: dict[str, Any] = {}
        if self.cmd is not None:
            config["Cmd"] = list(self.cmd)
        if self.entrypoint is not None:
            config["Entrypoint"] = list(self.entrypoint)
        if self.env:
            config["Env"] = list(self.env)
        if self.labels:
            config["Labels"] = dict(self.labels)
        if self.exposed_ports:
            config["ExposedPorts"] = {p: {} for p in self.exposed_ports}
        if self.volumes:
            config["Volumes"] = {v: {} for v in self.volumes}
        for key, value in (
            ("WorkingDir", self.working_dir),
            ("User", self.user),
            ("StopSignal", self.stop_signal),
        ):
            if value:
                config[key] = value
        return config


def merge(given: dict[str, Any], container: dict[str, Any]) -> dict[str, Any]:
    """The committed image's config: ``given`` filled from ``container``'s (see above)."""
    out = dict(given)
    for key in ("User", "WorkingDir", "StopSignal"):
        if not out.get(key) and container.get(key):
            out[key] = container[key]
    env = list(out.get("Env") or [])
    names = {e.split("=", 1)[0] for e in env}
    env += [e for e in container.get("Env") or [] if e.split("=", 1)[0] not in names]
    if env:
        out["Env"] = env
    for key in ("Labels", "ExposedPorts", "Volumes"):
        union = {**(container.get(key) or {}), **(out.get(key) or {})}
        if union:
            out[key] = union
    if not out.get("Entrypoint"):
        if not out.get("Cmd") and container.get("Cmd"):
            out["Cmd"] = container["Cmd"]
        if "Entrypoint" not in out and container.get("Entrypoint"):
            out["Entrypoint"] = container["Entrypoint"]
    return {k: v for k, v in out.items() if v or k == "Entrypoint"}
