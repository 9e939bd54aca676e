"""The store: content, layers and metadata under one root, and the write protocol.

Writers do the slow work (downloading, decompressing, extracting, hashing) outside the
lock, into ingest files and work directories named for their process. Then, under the
store lock and inside one database transaction, a ``Publisher`` renames that work into
place and the rows are written. If anything fails before the transaction commits, the
publisher removes exactly what it put in place, so the store is as it was.
"""

from __future__ import annotations

import errno
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path

from ..errors import NoSpace, StoreError
from .content import ContentStore, Ingest
from .layers import LayerStore
from .locks import StoreLock
from .metadata import Metadata
from .tempnames import sweep_stale

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from .cache_mounts import CacheMounts


class Publisher:
    """Puts staged work in place during one locked transaction; can undo it."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._new_blobs: list[str] = []
        self._new_layers: list[str] = []

    def blob(self, ingest: Ingest) -> str:
        assert ingest.sealed is not None
        if ingest.publish():
            self._new_blobs.append(ingest.sealed)
        return ingest.sealed

    def blob_bytes(self, data: bytes) -> str:
        digest, new = self._store.content.put(data)
        if new:
            self._new_blobs.append(digest)
        return digest

    def layer(self, work: Path, diff_id: str) -> None:
        if self._store.layers.commit(work, diff_id):
            self._new_layers.append(diff_id)

    def undo(self) -> None:
        for digest in self._new_blobs:
            self._store.content.delete(digest)
        for diff_id in self._new_layers:
            self._store.layers.remove(diff_id)


class Store:
    def __init__(self, root: Path) -> None:
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StoreError(f"cannot create the store at {root}: {e.strerror}") from e
        self.root = root
        self.content = ContentStore(root / "content")
        self.layers = LayerStore(root)
        self.meta = Metadata(root / "metadata.db")
        self.lock = StoreLock(root / "store.lock")

    @cached_property
    def cache_mounts(self) -> CacheMounts:
        """RUN --mount=type=cache folders, kept between builds (never in a layer); loaded
        only by what uses them (build, df, prune), not by ps."""
        from .cache_mounts import CacheMounts

        return CacheMounts(self.root / "cache-mounts", self.layers.tmp_dir)

    def close(self) -> None:
        self.meta.close()

    @contextmanager
    def filling(self, what: str) -> Iterator[None]:
        """A write of ``what`` into the store's work areas: a full disk (or quota) is a
        ``NoSpace`` error, raised after the writer removed what it half-wrote."""
        try:
            yield
        except OSError as e:
            if e.errno not in (errno.ENOSPC, errno.EDQUOT):
                raise
            raise NoSpace(f"no space left on device for {what} in {self.root}") from None

    @contextmanager
    def writing(self) -> Iterator[Publisher]:
        """Lock the store, open a transaction, and undo published files on failure."""
        with self.lock:
            sweep_stale(self.layers.tmp_dir)
            sweep_stale(self.content.ingest_dir)
            publisher = Publisher(self)
            try:
                with self.meta.transaction():
                    yield publisher
            except BaseException:
                publisher.undo()
                raise

    def collect_garbage(self) -> None:
        """Remove layers and blobs no image refers to. Takes the lock itself."""
        with self.lock:
            with self.meta.transaction():
                unused = self.meta.unused_layers()
                for diff_id in unused:
                    self.meta.remove_layer(diff_id)
            for diff_id in unused:
                self.layers.remove(diff_id)
            known_layers = set(self.meta.all_layers())
            for diff_id in list(self.layers.diff_ids()):
                if diff_id not in known_layers:
                    self.layers.remove(diff_id)
            live = set(known_layers)
            live.update(row.id for row in self.meta.images())
            live.update(self.meta.image_manifests())
            live.update(self.meta.compressed_digests())
            for digest in list(self.content.digests()):
                if digest not in live:
                    self.content.delete(digest)
