"""The store: content, layers and metadata under one root, and the write protocol.

Writers do the slow work (downloading, decompressing, extracting, hashing) outside the
lock, into ingest files and work directories named for their process. Then, under the
store lock and inside one database transaction, a ``Publisher`` renames that work into
place and the rows are written. If anything fails before the transaction commits, the
publisher removes exactly what it put in place, so the store is as it was.
"""

from __future__ import annotations

import errno
import os

from ..errors import NoSpace, StoreError
from .content import ContentStore, Ingest
from .layers import LayerStore
from .locks import StoreLock
from .metadata import Metadata
from .tempnames import sweep_stale

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from types import TracebackType

    from _typeshed import StrPath

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

    def layer(self, work: StrPath, diff_id: str) -> None:
        if self._store.layers.commit(work, diff_id):
            self._new_layers.append(diff_id)

    def undo(self) -> None:
        for digest in self._new_blobs:
            self._store.content.delete(digest)
        for diff_id in self._new_layers:
            self._store.layers.remove(diff_id)


# The two context managers below are classes, not contextlib generators: importing
# contextlib costs ~0.7 ms here even with functools and collections already loaded
# (SQLite's module loads them), and ps, rm and the rest need nothing else of it.
class Filling:
    """``with store.filling(what):`` ENOSPC and EDQUOT become one NoSpace error."""

    def __init__(self, what: str) -> None:
        self.what = what

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        if isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EDQUOT):
            raise NoSpace(f"no space left on device for {self.what}") from None


class Writing:
    """``with store.writing() as publisher:`` the store locked, stale work swept, one
    transaction open; when the block raises or the commit fails, the transaction is
    rolled back and what the publisher put in place is removed."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.publisher = Publisher(store)
        self.transaction = store.meta.transaction()

    def __enter__(self) -> Publisher:
        store = self.store
        store.lock.__enter__()
        try:
            sweep_stale(store.layers.tmp_dir)
            sweep_stale(store.content.ingest_dir)
            self.transaction.__enter__()
        except BaseException:
            store.lock.__exit__(None, None, None)
            raise
        return self.publisher

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            try:
                self.transaction.__exit__(t, e, tb)
            except BaseException:
                self.publisher.undo()
                raise
            if t is not None:
                self.publisher.undo()
        finally:
            self.store.lock.__exit__(None, None, None)


class Store:
    """The store at ``root``, a string path as the settings' are (config.py)."""

    def __init__(self, root: str) -> None:
        try:
            os.makedirs(root, exist_ok=True)
        except OSError as e:
            raise StoreError(f"cannot create the store at {root}: {e.strerror}") from e
        self.root = root
        self.content = ContentStore(f"{root}/content")
        self.layers = LayerStore(root)
        self.meta = Metadata(f"{root}/metadata.db")
        self.lock = StoreLock(f"{root}/store.lock")
        self._cache_mounts: CacheMounts | None = None

    @property
    def cache_mounts(self) -> CacheMounts:
        """RUN --mount=type=cache folders, kept between builds (never in a layer); loaded
        only by what uses them (build, df, prune), not by ps."""
        if self._cache_mounts is None:
            from pathlib import Path

            from .cache_mounts import CacheMounts

            self._cache_mounts = CacheMounts(
                Path(self.root, "cache-mounts"), Path(self.layers.tmp_dir)
            )
        return self._cache_mounts

    def close(self) -> None:
        self.meta.close()

    def filling(self, what: str) -> Filling:
        """A write of ``what`` into the store's work areas: a full disk (or quota) is a
        ``NoSpace`` error, raised after the writer removed what it half-wrote."""
        return Filling(f"{what} in {self.root}")

    def writing(self) -> Writing:
        """Lock the store, open a transaction, and undo published files on failure."""
        return Writing(self)

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
