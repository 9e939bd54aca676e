"""Pull: an image from a registry into the store.

The manifest (an index picks this machine's platform), the config (its digest is the
image ID), then the layers the store lacks, several at once, each streamed once through
hashing (the compressed digest the manifest names), decompression, hashing again (the
diff ID the config names) and extraction (image/ingest.py). A layer is published only
once both its digests checked out, and the image only once all its layers did, so a
bad or cut-off blob leaves no trace; layers already in the store (those a failed pull
did complete among them) are not fetched again, so a retry redoes only what failed.
What the registry served for each layer is remembered (its compressed digest, and that
this repository holds it), for later pushes.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from http.client import HTTPException

from ..errors import DigestMismatch, InvalidArchive, InvalidArgument
from ..image.compression import Hasher
from ..image.ingest import StagedLayer, existing_layer, stage_layer
from ..image.manifest import (
    DOCKER_LAYER,
    DOCKER_LAYER_GZIP,
    DOCKER_LIST,
    DOCKER_MANIFEST,
    INDEX_TYPES,
    OCI_INDEX,
    OCI_LAYER,
    OCI_LAYER_GZIP,
    OCI_LAYER_ZSTD,
    OCI_MANIFEST,
    Descriptor,
)
from ..image.publish import publish_image
from ..image.reference import Reference
from ..progress import LayerProgress
from ..store.content import sha256_digest
from ..store.store import Store
from ..timefmt import now_rfc3339
from .client import Registry, RegistryError
from .transfer import (
    LAYER_ATTEMPTS,
    Cancelled,
    descriptor,
    gather,
    json_list,
    json_object,
    short_digest,
)

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import Any

ACCEPT = [OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST]
MAX_CONFIG = 8 << 20
# what a pushed OCI manifest calls a layer the registry served under another type
OCI_LAYER_TYPES = {
    DOCKER_LAYER: OCI_LAYER,
    DOCKER_LAYER_GZIP: OCI_LAYER_GZIP,
    "application/vnd.docker.image.rootfs.diff.tar.zstd": OCI_LAYER_ZSTD,
}


class Puller:
    """Pulls into one store, ``downloads`` layers at a time."""

    def __init__(self, store: Store, downloads: int) -> None:
        self.store = store
        self.downloads = downloads

    def pull(
        self,
        registry: Registry,
        ref: Reference,
        wanted: tuple[str, str, str] | None,
        show: LayerProgress,
    ) -> str:
        """Pull ``ref`` from ``registry``; the image ID. ``wanted`` (os, arch, variant)
        picks another entry of an index than this machine's."""
        reference = ref.digest or ref.tag or "latest"
        try:
            body, media, _ = registry.manifest(ref.path, reference, ACCEPT)
        except RegistryError as e:
            if e.code == "MANIFEST_UNKNOWN" or e.status == 404:
                raise RegistryError(
                    f"manifest for {ref.familiar()} not found: {e}", e.code, e.status
                ) from None
            raise
        # after the manifest, as Docker's: a pull refused there (a login, a missing
        # tag) has shown nothing, and the Engine API answers it with an error status
        show.line(f"{reference}: Pulling from {ref.path}")
        top_digest = sha256_digest(body)
        if ref.digest is not None and top_digest != ref.digest:
            raise DigestMismatch(f"manifest of {ref.familiar()} does not hash to {ref.digest}")
        doc = json_object(body, "manifest")
        media = str(doc.get("mediaType") or media)
        if media in INDEX_TYPES:
            body = self._platform_manifest(registry, ref, doc, wanted)
            doc = json_object(body, "manifest")
        config_desc, layers = _manifest_parts(doc, ref)
        config = self._config(registry, ref.path, config_desc)
        config_doc = json_object(config, "config")
        if (
            wanted is not None
            and (config_doc.get("os"), config_doc.get("architecture")) != (wanted[:2])
        ):
            raise RegistryError(
                f"image with reference {ref.familiar()} was found but does not match the "
                f"specified platform: wanted {'/'.join(p for p in wanted if p)}, actual: "
                f"{config_doc.get('os')}/{config_doc.get('architecture')}"
            )
        rootfs = config_doc.get("rootfs")
        diff_ids = list((rootfs if isinstance(rootfs, dict) else {}).get("diff_ids") or [])
        if len(diff_ids) != len(layers):
            raise InvalidArgument(
                f"{ref.familiar()}: the manifest has {len(layers)} layers, "
                f"its config {len(diff_ids)}"
            )
        image_id = config_desc.digest
        fresh = self.store.meta.image(image_id) is None
        staged = self._layers(registry, ref.path, layers, [str(d) for d in diff_ids], show)
        try:
            with self.store.writing() as publisher:
                if fresh:
                    publish_image(self.store, publisher, config, staged)
                else:
                    for layer in staged:
                        layer.publish(self.store, publisher)
                for desc, layer in zip(layers, staged, strict=True):
                    self.store.meta.add_blob_location(desc.digest, ref.domain, ref.path)
                    if desc.digest != layer.diff_id:
                        media_type = OCI_LAYER_TYPES.get(desc.media_type, desc.media_type)
                        self.store.meta.add_compressed_form(
                            layer.diff_id, desc.digest, media_type, desc.size
                        )
                if ref.tag is not None:
                    self.store.meta.set_tag(str(ref), image_id, now_rfc3339())
                self.store.meta.set_repo_digest(f"{ref.name}@{top_digest}", image_id)
        except BaseException:
            for layer in staged:
                layer.discard(self.store)
            raise
        show.line(f"Digest: {top_digest}")
        status = "Downloaded newer image" if fresh else "Image is up to date"
        show.line(f"Status: {status} for {ref.familiar()}")
        show.close()
        return image_id

    def _platform_manifest(
        self,
        registry: Registry,
        ref: Reference,
        index: dict[str, Any],
        wanted: tuple[str, str, str] | None,
    ) -> bytes:
        from ..image.archive_read import select_platform
        from ..image.host import host_platform

        entries = [descriptor(d, "index") for d in json_list(index.get("manifests"), "index")]
        chosen = select_platform(entries, wanted)
        if chosen is None:
            shown = "/".join(p for p in wanted if p) if wanted else "/".join(host_platform())
            raise RegistryError(f"no matching manifest for {shown} in the manifest list entries")
        body, _, _ = registry.manifest(ref.path, chosen.digest, ACCEPT)
        if sha256_digest(body) != chosen.digest:
            raise DigestMismatch(f"manifest {chosen.digest} of {ref.familiar()} does not match")
        return body

    def _config(self, registry: Registry, repo: str, desc: Descriptor) -> bytes:
        if desc.size > MAX_CONFIG:
            raise InvalidArgument(f"image config {desc.digest} is larger than 8 MiB")
        for attempt in range(1, LAYER_ATTEMPTS + 1):
            try:
                with registry.blob(repo, desc.digest) as r:
                    data = r.read(MAX_CONFIG + 1)
            except (OSError, HTTPException):
                data = b""
            if len(data) == desc.size or attempt == LAYER_ATTEMPTS:
                break  # a short read is a cut connection: fetch it again
        if sha256_digest(data) != desc.digest:
            raise DigestMismatch(f"config blob does not hash to {desc.digest}")
        return data

    def _layers(
        self,
        registry: Registry,
        repo: str,
        layers: Sequence[Descriptor],
        diff_ids: Sequence[str],
        show: LayerProgress,
    ) -> list[StagedLayer]:
        """Every layer staged, in order: the store's own, or downloaded, ``downloads``
        at a time. On any failure the others stop; the layers that completed are kept."""
        result: list[StagedLayer | None] = []
        jobs: dict[str, Descriptor] = {}
        for desc, diff_id in zip(layers, diff_ids, strict=True):
            have = existing_layer(self.store, diff_id)
            if have is None and diff_id in jobs:
                # the same layer twice in one image: the first publish makes the second
                have = StagedLayer(diff_id, 0)
            if have is not None:
                show.status(short_digest(desc.digest), "Already exists")
            else:
                jobs[diff_id] = desc
                show.status(short_digest(desc.digest), "Pulling fs layer")
            result.append(have)
        cancel = threading.Event()
        with ThreadPoolExecutor(max_workers=self.downloads) as pool:
            futures = {
                diff_id: pool.submit(self._download, registry, repo, desc, diff_id, show, cancel)
                for diff_id, desc in jobs.items()
            }
            done = gather(futures.values(), cancel)
        if isinstance(done, BaseException):
            finished = [f.result() for f in futures.values() if f.exception() is None]
            self._keep(finished)
            raise done
        staged = []
        for item, diff_id in zip(result, diff_ids, strict=True):
            if item is None:
                item = futures[diff_id].result()
            staged.append(item)
        return staged

    def _keep(self, layers: list[StagedLayer]) -> None:
        """Publish the layers a failed pull did complete (each checked against its
        digests), so that the retry fetches only the rest."""
        try:
            with self.store.writing() as publisher:
                for layer in layers:
                    layer.publish(self.store, publisher)
        except BaseException:
            for layer in layers:
                layer.discard(self.store)
            raise

    def _download(
        self,
        registry: Registry,
        repo: str,
        desc: Descriptor,
        diff_id: str,
        show: LayerProgress,
        cancel: threading.Event,
    ) -> StagedLayer:
        short = short_digest(desc.digest)
        for attempt in range(1, LAYER_ATTEMPTS + 1):
            hasher = Hasher()
            received = [0]

            def seen(chunk: bytes, received: list[int] = received) -> None:
                if cancel.is_set():
                    raise Cancelled
                received[0] += len(chunk)
                show.bytes(short, "Downloading", received[0], desc.size)

            try:
                with registry.blob(repo, desc.digest) as response:
                    layer = stage_layer(
                        self.store, response, diff_id, on_read=seen, raw_hasher=hasher
                    )
                break
            except (OSError, HTTPException, InvalidArchive) as e:
                # a cut connection: the half-made layer was discarded; fetch it again
                if attempt == LAYER_ATTEMPTS:
                    raise RegistryError(f"layer {desc.digest}: download failed: {e}") from None
                show.status(short, f"Retrying ({attempt}/{LAYER_ATTEMPTS - 1}): {e}")
            except DigestMismatch as e:
                raise DigestMismatch(f"layer {short}: {e}") from None
        if hasher.digest != desc.digest or hasher.size != desc.size:
            layer.discard(self.store)
            raise DigestMismatch(
                f"layer {short}: the registry sent {hasher.size} bytes hashing to "
                f"{hasher.digest}, the manifest names {desc.size} bytes of {desc.digest}"
            )
        show.status(short, "Verifying Checksum")
        show.status(short, "Download complete")
        show.status(short, "Pull complete")
        return layer


def _manifest_parts(doc: dict[str, Any], ref: Reference) -> tuple[Descriptor, list[Descriptor]]:
    """The config and layer descriptors of an image manifest, checked for shape."""
    if doc.get("schemaVersion") != 2 or "config" not in doc:
        raise InvalidArgument(
            f"{ref.familiar()}: the registry sent a manifest that is not an image "
            "manifest (schema 2 or OCI)"
        )
    config = descriptor(doc.get("config"), "manifest")
    return config, [descriptor(d, "manifest") for d in json_list(doc.get("layers"), "manifest")]
