"""The one SQLite database: images, tags, layers, containers, cache, networks, volumes, events.

Schema changes are migrations keyed by ``PRAGMA user_version``. The database runs in
WAL mode so readers never wait for a writer; writers hold the store lock as well, and
every change is one transaction (``with db.transaction():``).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from ..errors import StoreError
from ..records import dataclass

_MIGRATIONS: tuple[str, ...] = (
    # 1: images, their layers, tags and repo digests
    """
    CREATE TABLE layers (
        diff_id TEXT PRIMARY KEY,
        size INTEGER NOT NULL,          -- bytes of file content in the layer
        created REAL NOT NULL
    );
    CREATE TABLE images (
        id TEXT PRIMARY KEY,            -- sha256 of the config JSON
        manifest TEXT NOT NULL,         -- digest of the OCI manifest blob
        created TEXT NOT NULL,          -- the config's "created", RFC 3339
        size INTEGER NOT NULL,
        parent TEXT NOT NULL DEFAULT '',
        last_tag_time TEXT NOT NULL DEFAULT '',
        added REAL NOT NULL
    );
    CREATE TABLE image_layers (
        image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        diff_id TEXT NOT NULL REFERENCES layers(diff_id),
        PRIMARY KEY (image_id, idx)
    );
    CREATE INDEX image_layers_by_layer ON image_layers(diff_id);
    CREATE TABLE tags (
        name TEXT PRIMARY KEY,          -- fully qualified: docker.io/library/busybox:latest
        image_id TEXT NOT NULL REFERENCES images(id)
    );
    CREATE INDEX tags_by_image ON tags(image_id);
    CREATE TABLE repo_digests (
        name TEXT PRIMARY KEY,          -- docker.io/library/busybox@sha256:...
        image_id TEXT NOT NULL REFERENCES images(id)
    );
    """,
    # 2: containers. Immutable creation settings (Config, HostConfig as Docker's JSON) apart
    # from the mutable state columns.
    """
    CREATE TABLE containers (
        id TEXT PRIMARY KEY,            -- 64 hex
        name TEXT NOT NULL UNIQUE,      -- without the leading '/'
        image_id TEXT NOT NULL REFERENCES images(id),
        image_ref TEXT NOT NULL,        -- what the user typed, as Docker shows it
        created TEXT NOT NULL,
        config TEXT NOT NULL,           -- Docker's Config JSON
        host_config TEXT NOT NULL,      -- Docker's HostConfig JSON
        status TEXT NOT NULL,           -- created|running|paused|restarting|exited|dead|removing
        pid INTEGER NOT NULL DEFAULT 0,
        monitor_pid INTEGER NOT NULL DEFAULT 0,
        exit_code INTEGER NOT NULL DEFAULT 0,
        error TEXT NOT NULL DEFAULT '',
        started_at TEXT NOT NULL DEFAULT '',
        finished_at TEXT NOT NULL DEFAULT '',
        restart_count INTEGER NOT NULL DEFAULT 0,
        oom_killed INTEGER NOT NULL DEFAULT 0,
        stopped_by_user INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX containers_by_image ON containers(image_id);
    """,
    # 3: the build cache. A row is the state after one build step: its image config, the
    # layers it stands on (which image removal spares until `builder prune`), and what
    # its key hashed, so a later miss at the same step can say what changed.
    """
    CREATE TABLE build_cache (
        key TEXT PRIMARY KEY,           -- sha256 of (parent key, step, inputs)
        probe TEXT NOT NULL,            -- sha256 of (parent key, step): same step, any inputs
        config TEXT NOT NULL,           -- the image config JSON after the step
        history TEXT NOT NULL,          -- the image history JSON after the step
        inputs TEXT NOT NULL,           -- JSON of what the key hashed
        created REAL NOT NULL,
        last_used REAL NOT NULL
    );
    CREATE INDEX build_cache_by_probe ON build_cache(probe);
    CREATE TABLE build_cache_layers (
        key TEXT NOT NULL REFERENCES build_cache(key) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        diff_id TEXT NOT NULL REFERENCES layers(diff_id),
        PRIMARY KEY (key, idx)
    );
    CREATE INDEX build_cache_layers_by_layer ON build_cache_layers(diff_id);
    """,
    # 4: what a push needs to know of a layer. Its compressed form (made once, by a push,
    # or learnt from a pull: the blob a registry serves for it) and where registries are
    # known to hold that blob, so a push skips it or mounts it from another repository.
    """
    CREATE TABLE compressed_layers (
        diff_id TEXT NOT NULL REFERENCES layers(diff_id) ON DELETE CASCADE,
        digest TEXT NOT NULL,           -- the compressed blob's digest
        media_type TEXT NOT NULL,       -- OCI layer type: ...tar+gzip, ...tar+zstd
        size INTEGER NOT NULL,
        PRIMARY KEY (diff_id, digest)
    );
    CREATE TABLE blob_locations (
        digest TEXT NOT NULL,
        registry TEXT NOT NULL,         -- a domain: docker.io, 127.0.0.1:5000
        repository TEXT NOT NULL,       -- library/busybox
        PRIMARY KEY (digest, registry, repository)
    );
    """,
    # 5: networks, and the endpoints of running containers on them (an address, the
    # host ports published to it). An endpoint lives while its container runs: what the
    # host's bridges and NAT rules hold is made from these rows.
    """
    CREATE TABLE networks (
        id TEXT PRIMARY KEY,            -- 64 hex
        name TEXT NOT NULL UNIQUE,
        driver TEXT NOT NULL,           -- bridge|host|null
        subnet TEXT NOT NULL DEFAULT '',
        gateway TEXT NOT NULL DEFAULT '',
        bridge TEXT NOT NULL DEFAULT '',-- the Linux bridge's name
        internal INTEGER NOT NULL DEFAULT 0,
        chosen_subnet INTEGER NOT NULL DEFAULT 0, -- picked by portside, may move while unused
        created TEXT NOT NULL,
        labels TEXT NOT NULL DEFAULT '{}'
    );
    CREATE TABLE endpoints (
        network_id TEXT NOT NULL REFERENCES networks(id),
        container_id TEXT NOT NULL REFERENCES containers(id) ON DELETE CASCADE,
        ip TEXT NOT NULL,
        mac TEXT NOT NULL,
        ports TEXT NOT NULL DEFAULT '{}', -- Docker's NetworkSettings.Ports, host ports chosen
        PRIMARY KEY (network_id, container_id),
        UNIQUE (network_id, ip)
    );
    """,
    # 6: the networks a container is on (``run --network``, ``network connect``), kept
    # while it is stopped; an endpoint is made from each when it starts, its interface
    # named here. network_id has no reference: ``network rm`` leaves a stopped
    # container's attachment dangling and its next start fails, as in Docker.
    """
    CREATE TABLE attachments (
        container_id TEXT NOT NULL REFERENCES containers(id) ON DELETE CASCADE,
        network_id TEXT NOT NULL,
        network_name TEXT NOT NULL,
        seq INTEGER NOT NULL,           -- the order of connecting: eth0 first
        aliases TEXT NOT NULL DEFAULT '[]',
        PRIMARY KEY (container_id, network_id)
    );
    INSERT INTO attachments(container_id, network_id, network_name, seq)
        SELECT c.id, n.id, n.name, 0 FROM containers c JOIN networks n
        ON n.name = coalesce(nullif(json_extract(c.host_config, '$.NetworkMode'), ''), 'bridge')
        WHERE n.driver = 'bridge';
    -- endpoints also serve a build's RUN step, which has no container row: the table is
    -- made again without the reference, with the interface's name, and the process that
    -- holds a RUN step's namespace (the row goes once that process is gone)
    CREATE TABLE endpoints_6 (
        network_id TEXT NOT NULL REFERENCES networks(id),
        container_id TEXT NOT NULL,     -- a container's ID, or a RUN step's (build-…)
        ip TEXT NOT NULL,
        mac TEXT NOT NULL,
        ports TEXT NOT NULL DEFAULT '{}',
        iface TEXT NOT NULL DEFAULT 'eth0',
        holder_pid INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (network_id, container_id),
        UNIQUE (network_id, ip)
    );
    INSERT INTO endpoints_6(network_id, container_id, ip, mac, ports)
        SELECT network_id, container_id, ip, mac, ports FROM endpoints;
    DROP TABLE endpoints;
    ALTER TABLE endpoints_6 RENAME TO endpoints;
    """,
    # 7: volumes (their data in volumes/NAME/_data) and every container's mounts, in the
    # order they are made inside it: binds, volumes and tmpfs, as inspect's Mounts shows
    # them. A volume a mount names is in use; rm and prune keep it.
    """
    CREATE TABLE volumes (
        name TEXT PRIMARY KEY,
        driver TEXT NOT NULL DEFAULT 'local',
        created TEXT NOT NULL,
        labels TEXT NOT NULL DEFAULT '{}' -- an anonymous one has Docker's label for it
    );
    CREATE TABLE mounts (
        container_id TEXT NOT NULL REFERENCES containers(id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        type TEXT NOT NULL,             -- bind|volume|tmpfs
        source TEXT NOT NULL,           -- a host path, a volume's name, '' for tmpfs
        destination TEXT NOT NULL,
        readonly INTEGER NOT NULL DEFAULT 0,
        mode TEXT NOT NULL DEFAULT '',  -- what -v said after the paths, as inspect shows it
        propagation TEXT NOT NULL DEFAULT '',
        options TEXT NOT NULL DEFAULT '', -- tmpfs: its mount options, volume: nocopy
        PRIMARY KEY (container_id, destination)
    );
    CREATE INDEX mounts_by_source ON mounts(type, source);
    """,
    # 8: the event journal (store/events.py): the last events of every operation, oldest
    # trimmed as new ones come; seq orders them and never goes back, so a reader that
    # follows asks for what came after the last one it saw.
    """
    CREATE TABLE events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        time_nano INTEGER NOT NULL,     -- Unix time in nanoseconds
        type TEXT NOT NULL,             -- container|image|network|volume
        action TEXT NOT NULL,           -- create, start, die, tag, ...
        actor_id TEXT NOT NULL,         -- the object's ID (a volume's name, an image's ref)
        attributes TEXT NOT NULL DEFAULT '{}' -- Actor.Attributes, JSON
    );
    """,
)

SCHEMA_VERSION = len(_MIGRATIONS)


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


class Metadata:
    def __init__(self, path: Path) -> None:
        try:
            self.conn = sqlite3.connect(path, timeout=60, isolation_level=None)
        except sqlite3.Error as e:
            raise StoreError(f"cannot open the store database {path}: {e}") from e
        self.conn.execute("PRAGMA foreign_keys = ON")
        self.conn.execute("PRAGMA synchronous = NORMAL")
        version = self.conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"the store at {path.parent} was written by a newer portside "
                f"(schema {version}, this one knows {SCHEMA_VERSION})"
            )
        if version < SCHEMA_VERSION:
            self._migrate(version)

    def _migrate(self, version: int) -> None:
        self.conn.execute("PRAGMA journal_mode = WAL")
        with self.transaction():
            # re-read under the write lock: another process may have migrated meanwhile
            version = self.conn.execute("PRAGMA user_version").fetchone()[0]
            for number, script in enumerate(_MIGRATIONS[version:], start=version + 1):
                for statement in script.split(";"):
                    if statement.strip():
                        self.conn.execute(statement)
                self.conn.execute(f"PRAGMA user_version = {number}")

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

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
