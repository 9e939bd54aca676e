"""``pull`` and ``push``: images between the store and a registry.

Pull: the manifest (an index picks this machine's platform), the config (its digest is
the image ID), then the layers the store lacks, several at once, each streamed once
through hashing (the compressed digest the manifest names), decompression, hashing again
(the diff ID the config names) and extraction (image/ingest.py). A layer is published
only once both its digests checked out, and the image only once all its layers did, so
a bad or cut-off blob leaves no trace; layers already in the store (those a failed pull
did complete among them) are not fetched again, so a retry redoes only what failed.
What the registry served for each layer is remembered (its compressed digest, and that
this repository holds it), for later pushes.

Push: the store keeps each layer as its uncompressed tar, so a push sends a compressed
form: one the registry is known to hold already (HEAD says so: ``Layer already
exists``), or can mount from another of its repositories (``Mounted from …``), or else
the layer gzipped (image/gzip_blocks.py) as it streams up, and kept, so the next push
of it sends the same blob without compressing again. Blobs go up several at once; the
manifest, an OCI manifest naming those compressed blobs, last.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from http.client import HTTPException
from typing import Any

from ..config import Settings
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
    canonical_json,
)
from ..image.reference import Reference, parse_tagged
from ..progress import LayerProgress
from ..records import dataclass, field
from ..registry.client import Registry, RegistryError
from ..store.content import Ingest, sha256_digest
from ..timefmt import now_rfc3339
from .images import ImageService, publish_image

Output = Callable[[str], None]
ACCEPT = [OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST]
MAX_CONFIG = 8 << 20
LAYER_ATTEMPTS = 3
# what a pushed OCI manifest calls a layer the registry served under another type
OCI_LAYER_TYPES = {
    DOCKER_LAYER: OCI_LAYER,
    DOCKER_LAYER_GZIP: OCI_LAYER_GZIP,
    "application/vnd.docker.image.rootfs.diff.tar.zstd": OCI_LAYER_ZSTD,
}


class _Cancelled(Exception):
    """Another layer of the same transfer failed: stop this one."""


def _progress(progress: LayerProgress | Output) -> LayerProgress:
    return progress if isinstance(progress, LayerProgress) else LayerProgress(progress)


def _short(digest: str) -> str:
    return digest.removeprefix("sha256:")[:12]


@dataclass
class _PushPlan:
    """One layer of a push: what is known of it before, and what the push found."""

    diff_id: str
    forms: list[tuple[str, str, int]]  # (digest, media type, size) known compressed forms
    stored: list[bool]  # whether each form's bytes are in the store
    mounts: dict[str, list[str]]  # form digest -> other repositories holding it
    sent: Descriptor | None = None
    made: Ingest | None = None  # a gzip form this push made, to keep
    mounted_from: str = ""
    events: list[str] = field(default_factory=list)


class RegistryService:
    def __init__(self, images: ImageService, settings: Settings | None = None) -> None:
        self.images = images
        self.store = images.store
        self.downloads = settings.max_concurrent_downloads if settings else 3
        self.uploads = settings.max_concurrent_uploads if settings else 3
        self._logins: dict[str, tuple[str, str]] = {}  # domain -> login of this session

    def _registry(self, domain: str, tls_verify: bool | None) -> Registry:
        return Registry(domain, tls_verify, self._logins.get(domain))

    def login(
        self,
        domain: str,
        user: str,
        password: str,
        tls_verify: bool | None = None,
        save: bool = True,
    ) -> None:
        """Check the login against the registry; keep it for this service's pulls and
        pushes, and with ``save`` where Docker keeps logins (``portside login``)."""
        from ..registry.credentials import save_login

        Registry(domain, tls_verify).check_login(user, password)
        self._logins[domain] = (user, password)
        if save:
            save_login(domain, user, password)

    # -- pull -------------------------------------------------------------------------
    def pull(
        self,
        text: str,
        progress: LayerProgress | Output,
        platform: str = "",
        tls_verify: bool | None = None,
    ) -> str:
        """Pull ``text`` (a name, name:tag or name@digest); the image ID. ``platform``
        (os/arch[/variant]) picks another entry of an index than this machine's."""
        from ..image.archive_read import parse_platform

        show = _progress(progress)
        ref = parse_tagged(text)
        wanted = parse_platform(platform) if platform else None
        registry = self._registry(ref.domain, tls_verify)
        reference = ref.digest or ref.tag or "latest"
        show.line(f"{reference}: Pulling from {ref.path}")
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
        config_desc, layers = _manifest_parts(doc, ref)
        config = self._config(registry, ref.path, config_desc)
        config_doc = _json(config, "config")
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
        from ..image.archive_read import host_platform, select_platform

        entries = [_descriptor(d, "index") for d in _list(index.get("manifests"), "index")]
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
                show.status(_short(desc.digest), "Already exists")
            else:
                jobs[diff_id] = desc
                show.status(_short(desc.digest), "Pulling fs layer")
            result.append(have)
        cancel = threading.Event()
        with ThreadPoolExecutor(max_workers=self.downloads) as pool:
            futures = {
                diff_id: pool.submit(self._download, registry, repo, desc, diff_id, show, cancel)
                for diff_id, desc in jobs.items()
            }
            done = _gather(futures.values(), cancel)
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
        short = _short(desc.digest)
        for attempt in range(1, LAYER_ATTEMPTS + 1):
            hasher = Hasher()
            received = [0]

            def seen(chunk: bytes, received: list[int] = received) -> None:
                if cancel.is_set():
                    raise _Cancelled
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

    def tags(self, text: str, tls_verify: bool | None = None) -> list[str]:
        """The repository's tags (``pull -a``), sorted."""
        ref = parse_tagged(text)
        return sorted(self._registry(ref.domain, tls_verify).tags(ref.path))

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

    def push(
        self,
        text: str,
        progress: LayerProgress | Output,
        tls_verify: bool | None = None,
        chunk_size: int | None = None,
    ) -> str:
        """Push a local image by name; the manifest digest."""
        show = _progress(progress)
        ref = parse_tagged(text)
        if ref.digest is not None:
            raise InvalidArgument("cannot push a digest reference")
        image_id, _ = self.images.resolve(str(ref))
        row = self.images.row(image_id)
        doc = _json(self.store.content.read(row.manifest), "manifest")
        config_desc = Descriptor.from_json(doc.get("config"))
        diff_ids = [Descriptor.from_json(d).digest for d in doc.get("layers") or []]
        registry = self._registry(ref.domain, tls_verify)
        show.line(f"The push refers to repository [{ref.name}]")
        plans: dict[str, _PushPlan] = {}
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
            plans[diff_id] = _PushPlan(diff_id, forms, stored, mounts)
        # Docker lists layers top first
        for diff_id in reversed(list(plans)):
            show.status(_short(diff_id), "Preparing")
        cancel = threading.Event()
        try:
            with ThreadPoolExecutor(max_workers=self.uploads) as pool:
                futures = [
                    pool.submit(self._push_layer, registry, ref.path, p, show, cancel, chunk_size)
                    for p in plans.values()
                ]
                futures.append(pool.submit(self._push_config, registry, ref.path, config_desc))
                failed = _gather(futures, cancel)
            if isinstance(failed, BaseException):
                raise failed
        finally:
            self._remember(plans, ref)
        layers = [_sent(plans[d]) for d in diff_ids]
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

    def _push_config(self, registry: Registry, repo: str, desc: Descriptor) -> None:
        """The config, alongside the layers (only the manifest must wait for all);
        Docker does not list it."""
        if not registry.has_blob(repo, desc.digest):
            self._send(registry, repo, desc, "", LayerProgress(lambda text: None), None)

    def _push_layer(
        self,
        registry: Registry,
        repo: str,
        plan: _PushPlan,
        show: LayerProgress,
        cancel: threading.Event,
        chunk_size: int | None,
    ) -> None:
        """One layer: a form the registry has, or can mount, or one we send (made now
        when the store has none)."""
        short = _short(plan.diff_id)
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
            raise _Cancelled
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

        total = self.store.content.path(diff_id).stat().st_size

        def body() -> Iterator[bytes]:
            with self.store.content.open(diff_id) as tar:
                for consumed, member in gzip_members(tar, workers=os.cpu_count() or 1):
                    if cancel.is_set():
                        raise _Cancelled
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

    def _remember(self, plans: dict[str, _PushPlan], ref: Reference) -> None:
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


def _sent(plan: _PushPlan) -> Descriptor:
    assert plan.sent is not None, "every layer was pushed"
    return plan.sent


def _gather(futures: Any, cancel: threading.Event) -> BaseException | None:
    """Wait for all; on the first failure, tell the rest to stop; that failure."""
    first: BaseException | None = None
    pending: list[Future[Any]] = list(futures)
    while pending:
        done, rest = wait(pending, return_when=FIRST_EXCEPTION)
        pending = list(rest)
        for f in done:
            error = f.exception()
            if error is not None and not isinstance(error, _Cancelled) and first is None:
                first = error
                cancel.set()
    return first


def _list(value: Any, what: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidArgument(f"the registry sent a malformed {what}: not a list")
    return value


def _descriptor(value: Any, what: str) -> Descriptor:
    try:
        return Descriptor.from_json(value)
    except InvalidArchive as e:
        raise InvalidArgument(f"the registry sent a malformed {what}: {e}") from None


def _manifest_parts(doc: dict[str, Any], ref: Reference) -> tuple[Descriptor, list[Descriptor]]:
    """The config and layer descriptors of an image manifest, checked for shape."""
    if doc.get("schemaVersion") != 2 or "config" not in doc:
        raise InvalidArgument(
            f"{ref.familiar()}: the registry sent a manifest that is not an image "
            "manifest (schema 2 or OCI)"
        )
    config = _descriptor(doc.get("config"), "manifest")
    return config, [_descriptor(d, "manifest") for d in _list(doc.get("layers"), "manifest")]


def _json(data: bytes, what: str) -> dict[str, Any]:
    try:
        value = json.loads(data)
    except ValueError:
        raise InvalidArgument(f"the registry sent a {what} that is not JSON") from None
    if not isinstance(value, dict):
        raise InvalidArgument(f"the registry sent a {what} that is not a JSON object")
    return value
