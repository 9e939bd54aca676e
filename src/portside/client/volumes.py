"""``client.volumes``: docker-py's volume collection (create, get, list, prune) and a
volume's ``remove``."""

from __future__ import annotations

import builtins

from ..engine import Engine
from .model import Model

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import Any


class Volume(Model):
    """A volume, as docker-py's ``Volume``: ``id`` and ``name`` are its name."""

    collection: VolumeCollection

    @property
    def id(self) -> str:
        return str(self.attrs["Name"])

    @property
    def name(self) -> str:
        return self.id

    def reload(self) -> None:
        self.attrs = self.collection.get(self.id).attrs

    def remove(self, force: bool = False) -> None:
        self.collection.engine.volumes.remove(self.id, force)


class VolumeCollection:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(
        self,
        name: str | None = None,
        driver: str | None = None,
        labels: dict[str, str] | None = None,
    ) -> Volume:
        row = self.engine.volumes.create(name or "", driver or "local", labels)
        return self.get(row.name)

    def get(self, volume_id: str) -> Volume:
        volumes = self.engine.volumes
        return Volume(volumes.inspect(volumes.get(volume_id)), self)

    def list(self, filters: dict[str, Any] | None = None) -> builtins.list[Volume]:
        wanted = {
            k: v if isinstance(v, list) else [str(v).lower()] for k, v in (filters or {}).items()
        }
        volumes = self.engine.volumes
        return [Volume(volumes.inspect(v), self) for v in volumes.list(wanted)]

    def prune(self, filters: dict[str, Any] | None = None) -> dict[str, Any]:
        every = str((filters or {}).get("all", "")).lower() in ("true", "1")
        removed, freed = self.engine.volumes.prune(every)
        return {"VolumesDeleted": removed or None, "SpaceReclaimed": freed}
