"""The store database's schema, as the migrations that build it: migration N brings a
database from ``PRAGMA user_version`` N-1 to N, and a new change is a new migration at
the end, never an edit of one that has shipped (stores in the field have run it)."""

from __future__ import annotations

MIGRATIONS: tuple[str, ...] = (
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
    # 9: a container's health status (its healthcheck's, "" without one), written by
    # the prober when it changes, so ps shows and filters it without reading files
    """
    ALTER TABLE containers ADD COLUMN health TEXT NOT NULL DEFAULT '';
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)
