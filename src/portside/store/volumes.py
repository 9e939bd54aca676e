"""Volume rows and the mounts of containers (binds, volumes, tmpfs)."""

from __future__ import annotations

from .. import fastjson
from ..records import dataclass

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    import sqlite3

ANONYMOUS = "com.docker.volume.anonymous"  # Docker's label for a volume made for one container


@dataclass(frozen=True)
class VolumeRow:
    name: str
    driver: str
    created: str
    labels: dict[str, str]

    @property
    def anonymous(self) -> bool:
        """Made for one container (VOLUME, ``-v /path``): what ``prune`` and ``rm -v``
        take; Docker tells it by this label too."""
        return ANONYMOUS in self.labels


@dataclass(frozen=True)
class MountRow:
    type: str  # bind|volume|tmpfs
    source: str  # a host path, a volume's name, "" for tmpfs
    destination: str
    readonly: bool = False
    mode: str = ""
    propagation: str = ""
    options: str = ""  # tmpfs: mount options; volume: "nocopy" or ""


class VolumeTable:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def add(self, v: VolumeRow) -> None:
        self.conn.execute(
            "INSERT INTO volumes(name, driver, created, labels) VALUES (?,?,?,?)",
            (v.name, v.driver, v.created, fastjson.dumps(v.labels)),
        )

    def get(self, name: str) -> VolumeRow | None:
        row = self.conn.execute(
            "SELECT name, driver, created, labels FROM volumes WHERE name = ?", (name,)
        ).fetchone()
        return _volume(row) if row else None

    def all(self) -> list[VolumeRow]:
        rows = self.conn.execute("SELECT name, driver, created, labels FROM volumes ORDER BY name")
        return [_volume(r) for r in rows]

    def remove(self, name: str) -> None:
        self.conn.execute("DELETE FROM volumes WHERE name = ?", (name,))

    def users(self, name: str) -> list[str]:
        """IDs of the containers that mount volume ``name``."""
        rows = self.conn.execute(
            "SELECT DISTINCT container_id FROM mounts WHERE type = 'volume' AND source = ?",
            (name,),
        )
        return [r[0] for r in rows]

    def used(self) -> set[str]:
        rows = self.conn.execute("SELECT DISTINCT source FROM mounts WHERE type = 'volume'")
        return {r[0] for r in rows}

    # -- a container's mounts ---------------------------------------------------------
    def add_mounts(self, container_id: str, mounts: list[MountRow]) -> None:
        self.conn.executemany(
            "INSERT INTO mounts(container_id, seq, type, source, destination, readonly, mode,"
            " propagation, options) VALUES (?,?,?,?,?,?,?,?,?)",
            [
                (
                    container_id,
                    n,
                    m.type,
                    m.source,
                    m.destination,
                    int(m.readonly),
                    m.mode,
                    m.propagation,
                    m.options,
                )
                for n, m in enumerate(mounts)
            ],
        )

    def mounts_of(self, container_id: str) -> list[MountRow]:
        rows = self.conn.execute(
            "SELECT type, source, destination, readonly, mode, propagation, options FROM mounts"
            " WHERE container_id = ? ORDER BY seq",
            (container_id,),
        )
        return [MountRow(t, s, d, bool(ro), m, p, o) for t, s, d, ro, m, p, o in rows]

    def all_mounts(self) -> list[tuple[str, MountRow]]:
        """Every container's mounts, each with its container's ID, in each one's order."""
        rows = self.conn.execute(
            "SELECT container_id, type, source, destination, readonly, mode, propagation,"
            " options FROM mounts ORDER BY container_id, seq"
        )
        return [(c, MountRow(t, s, d, bool(ro), m, p, o)) for c, t, s, d, ro, m, p, o in rows]


def _volume(row: tuple[str, str, str, str]) -> VolumeRow:
    name, driver, created, labels = row
    return VolumeRow(name, driver, created, fastjson.loads(labels))
