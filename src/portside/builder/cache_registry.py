"""A build cache in a registry (``type=registry,ref=REF``): the cache's manifest under
REF's tag and its blobs in REF's repository, sent and fetched with the registry
client pulls and pushes use (its TLS, logins and retries). An image manifest there
with an inline cache in its config is read as well (``--cache-from`` an image built
with ``--cache-to type=inline``)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

from ..errors import DigestMismatch, InvalidArchive
from ..image.manifest import DOCKER_MANIFEST, INDEX_TYPES, OCI_INDEX, OCI_MANIFEST, Descriptor
from ..registry.client import RegistryError
from .cache_format import UNCOMPRESSED

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import BinaryIO

    from ..image.reference import Reference
    from ..registry.client import Registry
    from ..store.store import Store

UPLOADS = 5  # blobs sent at once: Docker's default max-concurrent-uploads


class RegistryCache:
    def __init__(self, registry: Registry, ref: Reference) -> None:
        self.registry = registry
        self.ref = ref
        self.repo = ref.path
        self.tag = ref.digest or ref.tag or "latest"

    def put_layers(self, store: Store, diff_ids: list[str]) -> list[Descriptor]:
        """Each layer as a push sends it: a compressed form the registry holds or can
        mount, else gzipped as it streams up (and kept for the next push)."""
        from ..progress import LayerProgress
        from ..registry.push import Pusher

        quiet = LayerProgress(lambda text: None)
        sent = Pusher(store, UPLOADS).push_layers(self.registry, self.ref, diff_ids, quiet)
        return [
            Descriptor(sent[d].media_type, sent[d].digest, sent[d].size, {UNCOMPRESSED: d})
            for d in diff_ids
        ]

    def manifest(self) -> bytes | None:
        """The manifest under the tag; None when the registry has none."""
        accept = [OCI_MANIFEST, DOCKER_MANIFEST, OCI_INDEX]
        try:
            body, media, _ = self.registry.manifest(self.repo, self.tag, accept)
        except RegistryError as e:
            if e.code == "MANIFEST_UNKNOWN" or e.status == 404:
                return None
            raise
        if media in INDEX_TYPES:
            raise InvalidArchive(f"{self.ref.familiar()} is an index, not one image or cache")
        return body

    def read_blob(self, desc: Descriptor) -> bytes:
        with self.registry.blob(self.repo, desc.digest) as r:
            data = r.read()
        if "sha256:" + hashlib.sha256(data).hexdigest() != desc.digest:
            raise DigestMismatch(f"blob {desc.digest} of {self.ref.familiar()} does not match")
        return data

    @contextmanager
    def blob(self, digest: str) -> Iterator[BinaryIO]:
        with self.registry.blob(self.repo, digest) as r:
            yield r  # an HTTPResponse reads as a binary file

    def has_blob(self, digest: str) -> bool:
        return self.registry.has_blob(self.repo, digest)

    def put_blob(self, digest: str, size: int, data: BinaryIO) -> None:
        self.registry.upload(self.repo, digest, data, size)

    def put_manifest(self, body: bytes) -> None:
        self.registry.put_manifest(self.repo, self.tag, body, OCI_MANIFEST)
