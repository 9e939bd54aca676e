"""Container rows: creation settings (immutable JSON) and state (mutable columns)."""

from __future__ import annotations

from .. import fastjson
from ..records import dataclass, fields

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    import sqlite3
    from typing import Any

_COLUMNS = (
    "id, name, image_id, image_ref, created, config, host_config, status, pid, monitor_pid, "
    "exit_code, error, started_at, finished_at, restart_count, oom_killed, stopped_by_user, health"
)


@dataclass(frozen=True)
class ContainerRow:
    id: str
    name: str
    image_id: str
    image_ref: str
    created: str
    config: dict[str, Any]
    host_config: dict[str, Any]
    status: str
    pid: int = 0
    monitor_pid: int = 0
    exit_code: int = 0
    error: str = ""
    started_at: str = ""
    finished_at: str = ""
    restart_count: int = 0
    oom_killed: bool = False
    stopped_by_user: bool = False
    health: str = ""  # the healthcheck's last status ("" without one): ps reads it

    @classmethod
    def from_db(cls, row: tuple[Any, ...]) -> ContainerRow:
        values = list(row)
        values[5] = fastjson.loads(values[5])
        values[6] = fastjson.loads(values[6])
        values[15] = bool(values[15])
        values[16] = bool(values[16])
        return cls(*values)


_STATE_FIELDS = frozenset(
    f.name
    for f in fields(ContainerRow)
    if f.name not in ("id", "name", "image_id", "image_ref", "created", "config", "host_config")
)


class ContainerTable:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def add(self, row: ContainerRow) -> None:
        self.conn.execute(
            f"INSERT INTO containers({_COLUMNS}) VALUES ({','.join('?' * 18)})",
            (
                row.id,
                row.name,
                row.image_id,
                row.image_ref,
                row.created,
                fastjson.dumps(row.config),
                fastjson.dumps(row.host_config),
                row.status,
                row.pid,
                row.monitor_pid,
                row.exit_code,
                row.error,
                row.started_at,
                row.finished_at,
                row.restart_count,
                int(row.oom_killed),
                int(row.stopped_by_user),
                row.health,
            ),
        )

    def get(self, container_id: str) -> ContainerRow | None:
        row = self.conn.execute(
            f"SELECT {_COLUMNS} FROM containers WHERE id = ?", (container_id,)
        ).fetchone()
        return ContainerRow.from_db(row) if row else None

    def by_name(self, name: str) -> ContainerRow | None:
        row = self.conn.execute(
            f"SELECT {_COLUMNS} FROM containers WHERE name = ?", (name,)
        ).fetchone()
        return ContainerRow.from_db(row) if row else None

    def with_prefix(self, prefix: str) -> list[ContainerRow]:
        rows = self.conn.execute(
            f"SELECT {_COLUMNS} FROM containers WHERE substr(id, 1, ?) = ?", (len(prefix), prefix)
        )
        return [ContainerRow.from_db(r) for r in rows]

    def all(self) -> list[ContainerRow]:
        rows = self.conn.execute(f"SELECT {_COLUMNS} FROM containers ORDER BY created DESC")
        return [ContainerRow.from_db(r) for r in rows]

    def update(self, container_id: str, **state: Any) -> None:
        unknown = set(state) - _STATE_FIELDS - {"name"}
        assert not unknown, f"not state columns: {unknown}"
        sets = ", ".join(f"{k} = ?" for k in state)
        values = [int(v) if isinstance(v, bool) else v for v in state.values()]
        self.conn.execute(f"UPDATE containers SET {sets} WHERE id = ?", (*values, container_id))

    def set_host_config(self, container_id: str, host_config: dict[str, Any]) -> None:
        """``update``: the one change a container's settings can take after create."""
        self.conn.execute(
            "UPDATE containers SET host_config = ? WHERE id = ?",
            (fastjson.dumps(host_config), container_id),
        )

    def remove(self, container_id: str) -> None:
        self.conn.execute("DELETE FROM containers WHERE id = ?", (container_id,))

    def image_in_use(self, image_id: str) -> list[str]:
        rows = self.conn.execute("SELECT id FROM containers WHERE image_id = ?", (image_id,))
        return [r[0] for r in rows]
