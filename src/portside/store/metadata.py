"""The one SQLite database: images, tags, layers, containers, cache, networks, volumes, events.

Schema changes are migrations keyed by ``PRAGMA user_version``. The database runs in
WAL mode so readers never wait for a writer; writers hold the store lock as well, and
every change is one transaction (``with db.transaction():``).
"""

from __future__ import annotations

import os
import time

from ..errors import StoreError
from ..records import dataclass
from .schema import MIGRATIONS, SCHEMA_VERSION

# sqlite3's C module itself: the package around it only adds date and time adapters
# (which the store does not use) and imports datetime for them, ~2 ms of every command
try:
    import _sqlite3 as sqlite3
except ImportError:  # an interpreter that ships the package only
    import sqlite3  # type: ignore[no-redef]

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from collections.abc import Sequence
    from types import TracebackType


@dataclass(frozen=True)
class CacheRow:
    key: str
    probe: str
    config: str  # JSON
    history: str  # JSON
    inputs: str  # JSON
    layers: list[str]


@dataclass(frozen=True)
class ImageRow:
    id: str
    manifest: str
    created: str
    size: int
    parent: str
    last_tag_time: str
    added: float


class Transaction:
    """A write transaction: BEGIN IMMEDIATE at entry, COMMIT at a normal exit,
    ROLLBACK when the block raised (contextlib is not imported for it)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.conn.execute("ROLLBACK" if t is not None else "COMMIT")


class Metadata:
    def __init__(self, path: str) -> None:
        try:
            self.conn = sqlite3.connect(path, timeout=60, isolation_level=None)
        except sqlite3.Error as e:
            raise StoreError(f"cannot open the store database {path}: {e}") from e
        self.conn.execute("PRAGMA foreign_keys = ON")
        self.conn.execute("PRAGMA synchronous = NORMAL")
        version = self.conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"the store at {os.path.dirname(path)} was written by a newer portside "
                f"(schema {version}, this one knows {SCHEMA_VERSION})"
            )
        if version < SCHEMA_VERSION:
            self._migrate(version)

    def _migrate(self, version: int) -> None:
        self.conn.execute("PRAGMA journal_mode = WAL")
        with self.transaction():
            # re-read under the write lock: another process may have migrated meanwhile
            version = self.conn.execute("PRAGMA user_version").fetchone()[0]
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in script.split(";"):
                    if statement.strip():
                        self.conn.execute(statement)
                self.conn.execute(f"PRAGMA user_version = {number}")

    def close(self) -> None:
        self.conn.close()

    def transaction(self) -> Transaction:
        """``with db.transaction() as conn:`` one write transaction, rolled back when
        the block raises."""
        return Transaction(self.conn)

    # -- layers -------------------------------------------------------------------
    def has_layer(self, diff_id: str) -> bool:
        row = self.conn.execute("SELECT 1 FROM layers WHERE diff_id = ?", (diff_id,)).fetchone()
        return row is not None

    def add_layer(self, diff_id: str, size: int) -> None:
        self.conn.execute(
            "INSERT OR IGNORE INTO layers(diff_id, size, created) VALUES (?, ?, ?)",
            (diff_id, size, time.time()),
        )

    def layer_sizes(self, diff_ids: Sequence[str]) -> dict[str, int]:
        marks = ",".join("?" * len(diff_ids))
        rows = self.conn.execute(
            f"SELECT diff_id, size FROM layers WHERE diff_id IN ({marks})", tuple(diff_ids)
        )
        return dict(rows.fetchall())

    def unused_layers(self) -> list[str]:
        """Layers no image and no build cache entry stands on."""
        rows = self.conn.execute(
            "SELECT diff_id FROM layers WHERE diff_id NOT IN (SELECT diff_id FROM image_layers)"
            " AND diff_id NOT IN (SELECT diff_id FROM build_cache_layers)"
        )
        return [r[0] for r in rows]

    # -- build cache ----------------------------------------------------------------
    def cache_entry(self, key: str) -> CacheRow | None:
        row = self.conn.execute(
            "SELECT key, probe, config, history, inputs FROM build_cache WHERE key = ?", (key,)
        ).fetchone()
        return self._cache_row(row) if row else None

    def cache_by_probe(self, probe: str) -> CacheRow | None:
        """The latest entry for the same step after the same parent, whatever its inputs."""
        row = self.conn.execute(
            "SELECT key, probe, config, history, inputs FROM build_cache WHERE probe = ?"
            " ORDER BY last_used DESC LIMIT 1",
            (probe,),
        ).fetchone()
        return self._cache_row(row) if row else None

    def _cache_row(self, row: tuple[str, str, str, str, str]) -> CacheRow:
        layers = [
            r[0]
            for r in self.conn.execute(
                "SELECT diff_id FROM build_cache_layers WHERE key = ? ORDER BY idx", (row[0],)
            )
        ]
        return CacheRow(row[0], row[1], row[2], row[3], row[4], layers)

    def add_cache_entry(self, entry: CacheRow, now: float) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO build_cache VALUES (?, ?, ?, ?, ?, ?, ?)",
            (entry.key, entry.probe, entry.config, entry.history, entry.inputs, now, now),
        )
        self.conn.execute("DELETE FROM build_cache_layers WHERE key = ?", (entry.key,))
        self.conn.executemany(
            "INSERT INTO build_cache_layers VALUES (?, ?, ?)",
            [(entry.key, i, d) for i, d in enumerate(entry.layers)],
        )

    def touch_cache_entry(self, key: str, now: float) -> None:
        self.conn.execute("UPDATE build_cache SET last_used = ? WHERE key = ?", (now, key))

    def cache_keys(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT key FROM build_cache")]

    def cache_records(self) -> list[tuple[str, float, float, list[str], str]]:
        """(key, created, last used, layers, history JSON) of every entry, oldest first."""
        layers: dict[str, list[str]] = {}
        for key, diff_id in self.conn.execute(
            "SELECT key, diff_id FROM build_cache_layers ORDER BY key, idx"
        ):
            layers.setdefault(key, []).append(diff_id)
        rows = self.conn.execute(
            "SELECT key, created, last_used, history FROM build_cache ORDER BY created, key"
        )
        return [(k, made, used, layers.get(k, []), history) for k, made, used, history in rows]

    def cache_only_layers(self) -> list[str]:
        """Layers the build cache holds and no image has: what ``builder prune -a`` frees."""
        rows = self.conn.execute(
            "SELECT DISTINCT diff_id FROM build_cache_layers"
            " WHERE diff_id NOT IN (SELECT diff_id FROM image_layers)"
        )
        return [r[0] for r in rows]

    def remove_cache_entries(self, keys: Sequence[str]) -> None:
        self.conn.executemany("DELETE FROM build_cache WHERE key = ?", [(k,) for k in keys])

    def compressed_forms(self, diff_id: str) -> list[tuple[str, str, int]]:
        """(digest, media type, size) of each compressed form known for a layer."""
        rows = self.conn.execute(
            "SELECT digest, media_type, size FROM compressed_layers WHERE diff_id = ?"
            " ORDER BY rowid",
            (diff_id,),
        )
        return [(r[0], r[1], r[2]) for r in rows]

    def add_compressed_form(self, diff_id: str, digest: str, media_type: str, size: int) -> None:
        self.conn.execute(
            "INSERT OR IGNORE INTO compressed_layers(diff_id, digest, media_type, size)"
            " VALUES (?, ?, ?, ?)",
            (diff_id, digest, media_type, size),
        )

    def compressed_digests(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT digest FROM compressed_layers")]

    def blob_locations(self, digest: str, registry: str) -> list[str]:
        """The repositories of ``registry`` known to hold ``digest``."""
        rows = self.conn.execute(
            "SELECT repository FROM blob_locations WHERE digest = ? AND registry = ?"
            " ORDER BY rowid DESC",
            (digest, registry),
        )
        return [r[0] for r in rows]

    def add_blob_location(self, digest: str, registry: str, repository: str) -> None:
        self.conn.execute(
            "INSERT OR IGNORE INTO blob_locations(digest, registry, repository) VALUES (?, ?, ?)",
            (digest, registry, repository),
        )

    def remove_layer(self, diff_id: str) -> None:
        self.conn.execute("DELETE FROM layers WHERE diff_id = ?", (diff_id,))

    def all_layers(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT diff_id FROM layers")]

    # -- images -------------------------------------------------------------------
    def add_image(self, row: ImageRow, diff_ids: Sequence[str]) -> bool:
        """Record an image; False when an image with this ID already exists."""
        cur = self.conn.execute(
            "INSERT OR IGNORE INTO images(id, manifest, created, size, parent, last_tag_time,"
            " added) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (row.id, row.manifest, row.created, row.size, row.parent, row.last_tag_time, row.added),
        )
        if cur.rowcount == 0:
            return False
        self.conn.executemany(
            "INSERT INTO image_layers(image_id, idx, diff_id) VALUES (?, ?, ?)",
            [(row.id, i, d) for i, d in enumerate(diff_ids)],
        )
        return True

    def image(self, image_id: str) -> ImageRow | None:
        row = self.conn.execute("SELECT * FROM images WHERE id = ?", (image_id,)).fetchone()
        return ImageRow(*row) if row else None

    def images(self) -> list[ImageRow]:
        rows = self.conn.execute("SELECT * FROM images ORDER BY created DESC, added DESC")
        return [ImageRow(*r) for r in rows]

    def image_ids_with_prefix(self, hex_prefix: str) -> list[str]:
        rows = self.conn.execute(
            "SELECT id FROM images WHERE substr(id, 8, ?) = ?", (len(hex_prefix), hex_prefix)
        )
        return [r[0] for r in rows]

    def image_layers(self, image_id: str) -> list[str]:
        rows = self.conn.execute(
            "SELECT diff_id FROM image_layers WHERE image_id = ? ORDER BY idx", (image_id,)
        )
        return [r[0] for r in rows]

    def remove_image(self, image_id: str) -> None:
        self.conn.execute("DELETE FROM repo_digests WHERE image_id = ?", (image_id,))
        self.conn.execute("DELETE FROM tags WHERE image_id = ?", (image_id,))
        self.conn.execute("DELETE FROM images WHERE id = ?", (image_id,))

    def children(self, image_id: str) -> list[str]:
        rows = self.conn.execute("SELECT id FROM images WHERE parent = ?", (image_id,))
        return [r[0] for r in rows]

    def image_manifests(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT manifest FROM images")]

    # -- names --------------------------------------------------------------------
    def tag_target(self, name: str) -> str | None:
        row = self.conn.execute("SELECT image_id FROM tags WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    def set_tag(self, name: str, image_id: str, when: str) -> None:
        self.conn.execute(
            "INSERT INTO tags(name, image_id) VALUES (?, ?)"
            " ON CONFLICT(name) DO UPDATE SET image_id = excluded.image_id",
            (name, image_id),
        )
        self.conn.execute("UPDATE images SET last_tag_time = ? WHERE id = ?", (when, image_id))

    def remove_tag(self, name: str) -> None:
        self.conn.execute("DELETE FROM tags WHERE name = ?", (name,))

    def tags_of(self, image_id: str) -> list[str]:
        rows = self.conn.execute(
            "SELECT name FROM tags WHERE image_id = ? ORDER BY name", (image_id,)
        )
        return [r[0] for r in rows]

    def all_tags(self) -> list[tuple[str, str]]:
        return list(self.conn.execute("SELECT name, image_id FROM tags ORDER BY name"))

    def digest_target(self, name: str) -> str | None:
        row = self.conn.execute(
            "SELECT image_id FROM repo_digests WHERE name = ?", (name,)
        ).fetchone()
        return row[0] if row else None

    def set_repo_digest(self, name: str, image_id: str) -> None:
        self.conn.execute(
            "INSERT INTO repo_digests(name, image_id) VALUES (?, ?)"
            " ON CONFLICT(name) DO UPDATE SET image_id = excluded.image_id",
            (name, image_id),
        )

    def remove_repo_digest(self, name: str) -> None:
        self.conn.execute("DELETE FROM repo_digests WHERE name = ?", (name,))

    def repo_digests_of(self, image_id: str) -> list[str]:
        rows = self.conn.execute(
            "SELECT name FROM repo_digests WHERE image_id = ? ORDER BY name", (image_id,)
        )
        return [r[0] for r in rows]

    def all_repo_digests(self) -> list[tuple[str, str]]:
        return list(self.conn.execute("SELECT name, image_id FROM repo_digests ORDER BY name"))
