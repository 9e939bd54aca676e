"""Stage a layer: decompress, hash, keep the uncompressed tar as a blob, extract — one pass.

The blob and the extracted directory stay in the store's work areas until the caller
publishes them under the store lock (see ``store/store.py``). Every layer in the store
therefore has an uncompressed tar blob whose digest is its diff ID.
"""

from __future__ import annotations

from collections.abc import Callable

from ..errors import DigestMismatch
from ..records import dataclass
from ..store.content import Ingest
from ..store.store import Publisher, Store

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:  # only staging reads a layer: a fully cached build never does
    from typing import BinaryIO

    from _typeshed import StrPath

    from .compression import Hasher


@dataclass
class StagedLayer:
    diff_id: str
    size: int
    ingest: Ingest | None = None  # None: the layer was already in the store
    work: StrPath | None = None

    def publish(self, store: Store, publisher: Publisher) -> None:
        if self.ingest is not None and self.work is not None:
            publisher.blob(self.ingest)
            publisher.layer(self.work, self.diff_id)
            store.meta.add_layer(self.diff_id, self.size)
        elif not store.meta.has_layer(self.diff_id):
            # it vanished (rmi in another process) since we looked: cannot happen under
            # the lock for layers we staged ourselves
            raise DigestMismatch(f"layer {self.diff_id} disappeared from the store")

    def discard(self, store: Store) -> None:
        if self.ingest is not None:
            self.ingest.abort()
        if self.work is not None:
            store.layers.discard(self.work)


def existing_layer(store: Store, diff_id: str) -> StagedLayer | None:
    """A staged stand-in for a layer the store already has, or None."""
    if store.meta.has_layer(diff_id) and store.layers.exists(diff_id):
        return StagedLayer(diff_id, store.meta.layer_sizes([diff_id])[diff_id])
    return None


def stage_layer(
    store: Store,
    raw: BinaryIO,
    expected_diff_id: str | None = None,
    on_read: Callable[[bytes], object] | None = None,
    raw_hasher: Hasher | None = None,
) -> StagedLayer:
    """Read one layer (any compression) from ``raw`` into the store's work areas.

    ``on_read`` sees every raw (compressed) chunk, for progress; ``raw_hasher`` hashes
    them, so the caller can check the compressed digest of a descriptor.
    """
    from .compression import TeeReader, buffered, decompressed, detect, drain
    from .layer import apply_tar
    from .pipe import Behind

    source: BinaryIO = raw if hasattr(raw, "peek") else buffered(raw)
    head = source.peek(8)[:8]  # type: ignore[attr-defined]
    compressed = bool(detect(head))
    # an uncompressed layer's blob is its tar: hashed once, as the diff ID
    hashed = raw_hasher.update if raw_hasher is not None and compressed else None
    sinks = [s for s in (on_read, hashed) if s is not None]
    if sinks:
        source = buffered(TeeReader(source, *sinks))
    plain, _ = decompressed(source, head)
    with store.filling("a layer"):
        ingest = store.content.writer()
        work = store.layers.new_work_dir()
        blob = Behind(ingest.write)  # hashed and written beside the extraction
        try:
            try:
                tee = buffered(TeeReader(plain, blob.write))
                stats = apply_tar(tee, f"{work}/diff")
                drain(tee)
                drain(source)
            finally:
                blob.close()
            diff_id = ingest.seal(expected_diff_id)
            if raw_hasher is not None and not compressed:
                raw_hasher.adopt(diff_id, ingest.size)
        except BaseException:
            ingest.abort()
            store.layers.discard(work)
            raise
    return StagedLayer(diff_id, stats.size, ingest, work)
