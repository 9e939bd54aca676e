"""``pull`` and ``push``: images between the store and a registry.

Pull: the manifest (an index picks this machine's platform), the config (its digest is
the image ID), then each layer the store lacks, streamed once through hashing (the
compressed digest the manifest names), decompression, hashing again (the diff ID the
config names) and extraction (image/ingest.py). Nothing is published until every blob
checked out, so a bad or cut-off blob leaves the store as it was; layers already in the
store are not fetched again, so a retry redoes only what failed.

Push: each layer's uncompressed tar is what the store keeps (its digest is the diff ID),
so it is pushed as it is, as an OCI ``tar`` layer, with the OCI manifest the store wrote
for the image; a blob the registry has (HEAD) is not sent again.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from http.client import HTTPException
from typing import Any

from ..errors import DigestMismatch, InvalidArchive, InvalidArgument
from ..image.compression import Hasher
from ..image.ingest import StagedLayer, existing_layer, stage_layer
from ..image.manifest import (
    DOCKER_LIST,
    DOCKER_MANIFEST,
    INDEX_TYPES,
    OCI_INDEX,
    OCI_MANIFEST,
    Descriptor,
)
from ..image.reference import Reference, parse_tagged
from ..registry.client import Registry, RegistryError
from ..store.content import sha256_digest
from ..timefmt import now_rfc3339
from .images import ImageService, publish_image

Output = Callable[[str], None]
ACCEPT = [OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST]
MAX_CONFIG = 8 << 20
LAYER_ATTEMPTS = 3


class RegistryService:
    def __init__(self, images: ImageService) -> None:
        self.images = images
        self.store = images.store

    # -- pull -------------------------------------------------------------------------
    def pull(self, text: str, out: Output, platform: str = "") -> str:
        """Pull ``text`` (a name, name:tag or name@digest); the image ID. ``platform``
        (os/arch[/variant]) picks another entry of an index than this machine's."""
        from ..image.archive_read import parse_platform

        ref = parse_tagged(text)
        wanted = parse_platform(platform) if platform else None
        registry = Registry(ref.domain)
        reference = ref.digest or ref.tag or "latest"
        out(f"{reference}: Pulling from {ref.path}")
        try:
            body, media, _ = registry.manifest(ref.path, reference, ACCEPT)
        except RegistryError as e:
            if e.code == "MANIFEST_UNKNOWN" or e.status == 404:
                raise RegistryError(
                    f"manifest for {ref.familiar()} not found: {e}", e.code, e.status
                ) from None
            raise
        top_digest = sha256_digest(body)
        if ref.digest is not None and top_digest != ref.digest:
            raise DigestMismatch(f"manifest of {ref.familiar()} does not hash to {ref.digest}")
        doc = _json(body, "manifest")
        media = str(doc.get("mediaType") or media)
        if media in INDEX_TYPES:
            body = self._platform_manifest(registry, ref, doc, wanted)
            doc = _json(body, "manifest")
        config_desc = Descriptor.from_json(doc.get("config"))
        layers = [Descriptor.from_json(d) for d in doc.get("layers") or []]
        config = self._config(registry, ref.path, config_desc)
        config_doc = _json(config, "config")
        if (
            wanted is not None
            and (
                config_doc.get("os"),
                config_doc.get("architecture"),
            )
            != wanted[:2]
        ):
            raise RegistryError(
                f"image with reference {ref.familiar()} was found but does not match the "
                f"specified platform: wanted {'/'.join(p for p in wanted if p)}, actual: "
                f"{config_doc.get('os')}/{config_doc.get('architecture')}"
            )
        diff_ids = list((config_doc.get("rootfs") or {}).get("diff_ids") or [])
        if len(diff_ids) != len(layers):
            raise InvalidArgument(
                f"{ref.familiar()}: the manifest has {len(layers)} layers, "
                f"its config {len(diff_ids)}"
            )
        image_id = config_desc.digest
        fresh = self.store.meta.image(image_id) is None
        staged: list[StagedLayer] = []
        try:
            for desc, diff_id in zip(layers, diff_ids, strict=True):
                staged.append(self._layer(registry, ref.path, desc, diff_id, out))
            with self.store.writing() as publisher:
                if fresh:
                    publish_image(self.store, publisher, config, staged)
                else:
                    for layer in staged:
                        layer.publish(self.store, publisher)
                if ref.tag is not None:
                    self.store.meta.set_tag(str(ref), image_id, now_rfc3339())
                self.store.meta.set_repo_digest(f"{ref.name}@{top_digest}", image_id)
        except BaseException:
            for layer in staged:
                layer.discard(self.store)
            raise
        out(f"Digest: {top_digest}")
        status = "Downloaded newer image" if fresh else "Image is up to date"
        out(f"Status: {status} for {ref.familiar()}")
        return image_id

    def _platform_manifest(
        self,
        registry: Registry,
        ref: Reference,
        index: dict[str, Any],
        wanted: tuple[str, str, str] | None,
    ) -> bytes:
        from ..image.archive_read import host_platform, select_platform

        entries = [Descriptor.from_json(d) for d in index.get("manifests") or []]
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

    def _layer(
        self, registry: Registry, repo: str, desc: Descriptor, diff_id: str, out: Output
    ) -> StagedLayer:
        short = desc.digest.removeprefix("sha256:")[:12]
        have = existing_layer(self.store, diff_id)
        if have is not None:
            out(f"{short}: Already exists")
            return have
        out(f"{short}: Pulling fs layer")
        for attempt in range(1, LAYER_ATTEMPTS + 1):
            hasher = Hasher()
            try:
                with registry.blob(repo, desc.digest) as response:
                    layer = stage_layer(self.store, response, diff_id, raw_hasher=hasher)
                break
            except (OSError, HTTPException, InvalidArchive) as e:
                # a cut connection: the half-made layer was discarded; fetch it again
                if attempt == LAYER_ATTEMPTS:
                    raise RegistryError(f"layer {short}: download failed: {e}") from None
                out(f"{short}: Retrying ({attempt}/{LAYER_ATTEMPTS - 1}): {e}")
            except DigestMismatch as e:
                raise DigestMismatch(f"layer {short}: {e}") from None
        if hasher.digest != desc.digest or hasher.size != desc.size:
            layer.discard(self.store)
            raise DigestMismatch(
                f"layer {short}: the registry sent {hasher.size} bytes hashing to "
                f"{hasher.digest}, the manifest names {desc.size} bytes of {desc.digest}"
            )
        out(f"{short}: Pull complete")
        return layer

    def tags(self, text: str) -> list[str]:
        """The repository's tags (``pull -a``), sorted."""
        ref = parse_tagged(text)
        return sorted(Registry(ref.domain).tags(ref.path))

    # -- push -------------------------------------------------------------------------
    def local_tags(self, text: str) -> list[str]:
        """``push -a``: every local tag of the repository ``text`` names (no tag in it)."""
        ref = parse_tagged(text)
        if ref.digest is not None or ":" in text.rsplit("/", 1)[-1]:
            raise InvalidArgument("tag can't be used with --all-tags/-a")
        found = [n for n, _ in self.store.meta.all_tags() if n.rsplit(":", 1)[0] == ref.name]
        if not found:
            raise InvalidArgument(f"An image does not exist locally with the tag: {ref.name}")
        return found

    def push(self, text: str, out: Output) -> str:
        """Push a local image by name; the manifest digest."""
        ref = parse_tagged(text)
        if ref.digest is not None:
            raise InvalidArgument("cannot push a digest reference")
        image_id, _ = self.images.resolve(str(ref))
        row = self.images.row(image_id)
        manifest = self.store.content.read(row.manifest)
        doc = _json(manifest, "manifest")
        registry = Registry(ref.domain)
        out(f"The push refers to repository [{ref.name}]")
        blobs = [Descriptor.from_json(d) for d in doc.get("layers") or []]
        blobs.append(Descriptor.from_json(doc.get("config")))
        for desc in blobs:
            short = desc.digest.removeprefix("sha256:")[:12]
            if registry.has_blob(ref.path, desc.digest):
                out(f"{short}: Layer already exists")
                continue
            out(f"{short}: Preparing")
            with self.store.content.open(desc.digest) as data:
                registry.upload(ref.path, desc.digest, data, desc.size)
            out(f"{short}: Pushed")
        media = str(doc.get("mediaType") or OCI_MANIFEST)
        tag = ref.tag or "latest"
        registry.put_manifest(ref.path, tag, manifest, media)
        digest = sha256_digest(manifest)
        with self.store.writing():
            self.store.meta.set_repo_digest(f"{ref.name}@{digest}", image_id)
        out(f"{tag}: digest: {digest} size: {len(manifest)}")
        return digest


def _json(data: bytes, what: str) -> dict[str, Any]:
    try:
        value = json.loads(data)
    except ValueError:
        raise InvalidArgument(f"the registry sent a {what} that is not JSON") from None
    if not isinstance(value, dict):
        raise InvalidArgument(f"the registry sent a {what} that is not a JSON object")
    return value
