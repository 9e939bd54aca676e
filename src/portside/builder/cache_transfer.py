"""Exporting a build's cache and importing one (cache_format.py says what it is).

Where it is kept is a ``Backend``: a folder (cache_local.py) or a registry
(cache_registry.py). Export sends the layers the backend lacks, the cache mounts'
tars if asked, the config, and the manifest last, so a reader never finds a manifest
whose blobs are missing.

Import is lazy, as BuildKit's: the records are read when the build starts, and a step
whose key is among them takes its row, and only the layers the store lacks are
fetched (each checked against its diff ID), the moment the step looks for its cache.
A cache mount the cache carries is made from its tar when the store has no such
cache yet (one it has is kept as it is).
"""

from __future__ import annotations

import hashlib
import io
import os
import threading
import time
from collections.abc import Callable, Collection, Iterable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Protocol

from ..errors import DigestMismatch
from ..image.manifest import Descriptor, oci_manifest
from ..store.metadata import CacheRow
from ..store.tempnames import remove_tree, temp_name
from . import cache_format

if TYPE_CHECKING:
    from ..store.store import Store

Output = Callable[[str], None]


class Backend(Protocol):
    def put_layers(self, store: Store, diff_ids: list[str]) -> list[Descriptor]:
        """Send the layers it lacks; each one's descriptor, annotated with its diff ID."""
        ...

    def manifest(self) -> bytes | None: ...
    def read_blob(self, desc: Descriptor) -> bytes: ...
    def blob(self, digest: str) -> AbstractContextManager[BinaryIO]: ...
    def has_blob(self, digest: str) -> bool: ...
    def put_blob(self, digest: str, size: int, data: BinaryIO) -> None: ...
    def put_manifest(self, body: bytes) -> None: ...


def load(backend: Backend, what: str, out: Output) -> cache_format.Cache | None:
    """The cache ``backend`` holds; None, with a warning line, when there is none or it
    cannot be read (BuildKit goes on without it, too)."""
    from ..errors import PortsideError

    try:
        body = backend.manifest()
        if body is None:
            out(f"WARNING: no build cache at {what}")
            return None
        found = cache_format.read(body, backend.read_blob)
    except (PortsideError, OSError) as e:
        out(f"WARNING: the build cache at {what} cannot be read: {e}")
        return None
    out(f"Importing the build cache from {what}: {len(found.records)} steps")
    return found


def export(
    store: Store,
    rows: Sequence[CacheRow],
    mounts: Iterable[tuple[str, str]],
    backend: Backend,
    skip: Collection[str] = (),
) -> tuple[int, int, int]:
    """Send ``rows`` with their layers but those in ``skip``, and the cache mounts
    ``mounts`` (id, base) the store holds; (records, layers, cache mounts)."""
    diff_ids = list(dict.fromkeys(d for row in rows for d in row.layers if d not in skip))
    layers = backend.put_layers(store, diff_ids)
    sent = 0
    for cache_id, base in mounts:
        desc = _send_mount(store, cache_id, base, backend)
        if desc is not None:
            layers.append(desc)
            sent += 1
    body = cache_format.config(rows)
    config = Descriptor(cache_format.CONFIG_TYPE, _digest(body), len(body))
    if not backend.has_blob(config.digest):
        backend.put_blob(config.digest, config.size, io.BytesIO(body))
    backend.put_manifest(oci_manifest(config, layers))
    return len(rows), len(diff_ids), sent


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _send_mount(store: Store, cache_id: str, base: str, backend: Backend) -> Descriptor | None:
    """A cache mount's files as a tar, sent; None if the store has no such cache."""
    from ..image.layer_write import write_tree

    tmp = Path(store.layers.tmp_dir, temp_name())
    with store.cache_mounts.reading(cache_id, base) as data:
        if data is None:
            return None
        tmp.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "w+b") as f:
            try:
                write_tree(data, f)
                size = f.tell()
                f.seek(0)
                hasher = hashlib.sha256()
                while chunk := f.read(1 << 20):
                    hasher.update(chunk)
                digest = "sha256:" + hasher.hexdigest()
                if not backend.has_blob(digest):
                    f.seek(0)
                    backend.put_blob(digest, size, f)
            finally:
                tmp.unlink(missing_ok=True)
    return cache_format.mount_descriptor(cache_id, base, digest, size)


class Imported:
    """The caches of ``--cache-from``, their steps fetched into the store on demand."""

    def __init__(self, caches: Sequence[tuple[Backend, cache_format.Cache]]) -> None:
        self.caches = caches
        self.lock = threading.Lock()  # stages on several threads: one fetch at a time
        self.probes = {r.probe: r for _, c in reversed(caches) for r in c.records.values()}

    def by_probe(self, probe: str) -> CacheRow | None:
        """The same step's row in a cache, whatever its inputs: why a step missed."""
        return self.probes.get(probe)

    def fetch(self, store: Store, key: str) -> bool:
        """Whether the step ``key`` is in an imported cache: then its row and the layers
        the store lacked are in the store now."""
        from ..image.ingest import existing_layer, stage_layer

        for backend, found in self.caches:
            row = found.records.get(key)
            if row is None or not all(
                d in found.blobs or existing_layer(store, d) for d in row.layers
            ):
                continue
            with self.lock:
                staged = []
                try:
                    for diff_id in row.layers:
                        if existing_layer(store, diff_id) is None:
                            with backend.blob(found.blobs[diff_id].digest) as raw:
                                staged.append(stage_layer(store, raw, diff_id))
                    with store.writing() as publisher:
                        for layer in staged:
                            layer.publish(store, publisher)
                        store.meta.add_cache_entry(row, time.time())
                except BaseException:
                    for layer in staged:
                        layer.discard(store)
                    raise
            return True
        return False

    def seed_mounts(self, store: Store, out: Output) -> None:
        """The cache mounts the caches carry, made where the store has none yet."""
        from ..image.layer import apply_tar

        for backend, found in self.caches:
            for cache_id, base, desc in found.mounts:
                work = Path(store.layers.tmp_dir, temp_name())
                work.mkdir(parents=True)
                try:
                    tar = work / "mount.tar"
                    _download(backend, desc, tar)

                    def fill(data: Path, tar: Path = tar, base: str = base) -> None:
                        with open(tar, "rb") as f:
                            apply_tar(f, data, whiteouts=False)
                        owner = base.split(":")  # uid:gid:mode, for a cache made empty
                        if len(owner) == 3 and all(p.isdigit() for p in owner):
                            os.chown(data, int(owner[0]), int(owner[1]))
                            os.chmod(data, int(owner[2], 8))

                    if store.cache_mounts.seed(cache_id, base, fill):
                        out(f"Imported the cache mount {cache_id}")
                finally:
                    remove_tree(work)


def _download(backend: Backend, desc: Descriptor, path: Path) -> None:
    hasher = hashlib.sha256()
    with backend.blob(desc.digest) as raw, open(path, "wb") as out:
        while chunk := raw.read(1 << 20):
            hasher.update(chunk)
            out.write(chunk)
    if "sha256:" + hasher.hexdigest() != desc.digest:
        raise DigestMismatch(f"cache mount blob {desc.digest} does not hash to its name")
