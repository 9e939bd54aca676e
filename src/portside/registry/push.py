"""Push: an image from the store to a registry.

The store keeps each layer as its uncompressed tar, so a push sends a compressed form:
one the registry is known to hold already (HEAD says so: ``Layer already exists``), or
can mount from another of its repositories (``Mounted from …``), or else the layer
gzipped (image/gzip_blocks.py) as it streams up, and kept, so the next push of it sends
the same blob without compressing again. Blobs go up several at once; the manifest, an
OCI manifest naming those compressed blobs, last.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

from ..image.manifest import OCI_LAYER_GZIP, OCI_MANIFEST, Descriptor, canonical_json
from ..image.reference import Reference
from ..progress import LayerProgress
from ..records import dataclass, field
from ..store.content import Ingest, sha256_digest
from ..store.store import Store
from .client import Registry
from .transfer import Cancelled, gather, short_digest

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import Any


@dataclass
class PushPlan:
    """One layer of a push: what is known of it before, and what the push found."""

    diff_id: str
    forms: list[tuple[str, str, int]]  # (digest, media type, size) known compressed forms
    stored: list[bool]  # whether each form's bytes are in the store
    mounts: dict[str, list[str]]  # form digest -> other repositories holding it
    sent: Descriptor | None = None
    made: Ingest | None = None  # a gzip form this push made, to keep
    mounted_from: str = ""
    events: list[str] = field(default_factory=list)


class Pusher:
    """Pushes from one store, ``uploads`` blobs at a time."""

    def __init__(self, store: Store, uploads: int) -> None:
        self.store = store
        self.uploads = uploads

    def push(
        self,
        registry: Registry,
        ref: Reference,
        image_id: str,
        doc: dict[str, Any],
        show: LayerProgress,
        chunk_size: int | None = None,
    ) -> str:
        """Push the image ``image_id`` (its stored manifest ``doc``) as ``ref``; the
        pushed manifest's digest."""
        config_desc = Descriptor.from_json(doc.get("config"))
        diff_ids = [Descriptor.from_json(d).digest for d in doc.get("layers") or []]
        show.line(f"The push refers to repository [{ref.name}]")
        sent = self.push_layers(registry, ref, diff_ids, show, chunk_size, config_desc)
        layers = [sent[d] for d in diff_ids]
        manifest = canonical_json(
            {
                "schemaVersion": 2,
                "mediaType": OCI_MANIFEST,
                "config": config_desc.to_json(),
                "layers": [desc.to_json() for desc in layers],
            }
        )
        tag = ref.tag or "latest"
        registry.put_manifest(ref.path, tag, manifest, OCI_MANIFEST)
        digest = sha256_digest(manifest)
        with self.store.writing():
            self.store.meta.set_repo_digest(f"{ref.name}@{digest}", image_id)
        show.line(f"{tag}: digest: {digest} size: {len(manifest)}")
        show.close()
        return digest

    def push_layers(
        self,
        registry: Registry,
        ref: Reference,
        diff_ids: list[str],
        show: LayerProgress,
        chunk_size: int | None = None,
        config: Descriptor | None = None,
    ) -> dict[str, Descriptor]:
        """Send the layers ``diff_ids`` (and the blob ``config`` from the store) to
        ``ref``'s repository, ``uploads`` at a time; the blob sent for each layer."""
        plans: dict[str, PushPlan] = {}
        for diff_id in diff_ids:
            if diff_id in plans:
                continue
            forms = self.store.meta.compressed_forms(diff_id)
            mounts = {
                digest: [
                    r for r in self.store.meta.blob_locations(digest, ref.domain) if r != ref.path
                ]
                for digest, _, _ in forms
            }
            stored = [self.store.content.exists(digest) for digest, _, _ in forms]
            plans[diff_id] = PushPlan(diff_id, forms, stored, mounts)
        # Docker lists layers top first
        for diff_id in reversed(list(plans)):
            show.status(short_digest(diff_id), "Preparing")
        cancel = threading.Event()
        try:
            with ThreadPoolExecutor(max_workers=self.uploads) as pool:
                futures = [
                    pool.submit(self._push_layer, registry, ref.path, p, show, cancel, chunk_size)
                    for p in plans.values()
                ]
                if config is not None:
                    futures.append(pool.submit(self._push_config, registry, ref.path, config))
                failed = gather(futures, cancel)
            if isinstance(failed, BaseException):
                raise failed
        finally:
            self._remember(plans, ref)
        return {d: _sent(plans[d]) for d in plans}

    def _push_config(self, registry: Registry, repo: str, desc: Descriptor) -> None:
        """The config, alongside the layers (only the manifest must wait for all);
        Docker does not list it."""
        if not registry.has_blob(repo, desc.digest):
            self._send(registry, repo, desc, "", LayerProgress(lambda text: None), None)

    def _push_layer(
        self,
        registry: Registry,
        repo: str,
        plan: PushPlan,
        show: LayerProgress,
        cancel: threading.Event,
        chunk_size: int | None,
    ) -> None:
        """One layer: a form the registry has, or can mount, or one we send (made now
        when the store has none)."""
        short = short_digest(plan.diff_id)
        for digest, media_type, size in plan.forms:
            if registry.has_blob(repo, digest):
                plan.sent = Descriptor(media_type, digest, size)
                show.status(short, "Layer already exists")
                return
        for (digest, media_type, size), stored in zip(plan.forms, plan.stored, strict=True):
            for source in plan.mounts.get(digest, []):
                location = registry.mount(repo, digest, source)
                if location is None:
                    plan.sent = Descriptor(media_type, digest, size)
                    plan.mounted_from = source
                    show.status(short, f"Mounted from {source}")
                    return
            if stored:
                desc = Descriptor(media_type, digest, size)
                self._send(registry, repo, desc, short, show, chunk_size)
                plan.sent = desc
                return
        if cancel.is_set():
            raise Cancelled
        made = self.store.content.writer()
        self._gzip_send(registry, repo, plan.diff_id, made, short, show, cancel)
        plan.made = made
        plan.sent = Descriptor(OCI_LAYER_GZIP, made.digest, made.size)

    def _gzip_send(
        self,
        registry: Registry,
        repo: str,
        diff_id: str,
        ingest: Ingest,
        short: str,
        show: LayerProgress,
        cancel: threading.Event,
    ) -> None:
        """Gzip the layer while it streams to the registry, as Docker pushes, into
        ``ingest`` too (sealed, not yet published: kept for the next push)."""
        from ..image.gzip_blocks import gzip_members

        total = os.stat(self.store.content.path(diff_id)).st_size

        def body() -> Iterator[bytes]:
            with self.store.content.open(diff_id) as tar:
                for consumed, member in gzip_members(tar, workers=os.cpu_count() or 1):
                    if cancel.is_set():
                        raise Cancelled
                    ingest.write(member)
                    show.bytes(short, "Pushing", consumed, total)
                    yield member

        try:
            registry.upload_stream(repo, body(), lambda: ingest.digest)
            ingest.seal()
        except BaseException:
            ingest.abort()
            raise
        show.status(short, "Pushed")

    def _send(
        self,
        registry: Registry,
        repo: str,
        desc: Descriptor,
        short: str,
        show: LayerProgress,
        chunk_size: int | None,
    ) -> None:
        def sent(done: int) -> None:
            show.bytes(short, "Pushing", done, desc.size)

        with self.store.content.open(desc.digest) as data:
            if chunk_size is None:
                registry.upload(repo, desc.digest, data, desc.size, sent=sent)
            else:
                registry.upload(repo, desc.digest, data, desc.size, chunk=chunk_size, sent=sent)
        show.status(short, "Pushed")

    def _remember(self, plans: dict[str, PushPlan], ref: Reference) -> None:
        """Keep the gzip forms this push made (even when it failed: a retry then sends
        them as they are) and where the registry now holds each layer."""
        with self.store.writing() as publisher:
            for plan in plans.values():
                if plan.made is not None and plan.made.sealed is not None:  # it was sent
                    publisher.blob(plan.made)
                    self.store.meta.add_compressed_form(
                        plan.diff_id, plan.made.sealed, OCI_LAYER_GZIP, plan.made.size
                    )
                if plan.sent is not None:
                    self.store.meta.add_blob_location(plan.sent.digest, ref.domain, ref.path)


def _sent(plan: PushPlan) -> Descriptor:
    assert plan.sent is not None, "every layer was pushed"
    return plan.sent
