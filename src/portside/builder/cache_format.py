"""What an exported build cache is, wherever it is kept.

As BuildKit's ``image-manifest=true`` form: one OCI image manifest whose config blob
holds the cache's records and whose layers are the blobs they stand on. In a folder
it is an OCI image layout (``oci-layout``, ``index.json`` naming the manifest as
``latest``, ``blobs/sha256/``); in a registry, the manifest under the given tag.

- **The config** (``application/vnd.portside.build-cache.v1+json``): ``records``, one
  per step, each the ``build_cache`` row of that step (its key, probe key, the image
  config and history after it, what its key hashed, its layers by diff ID).
  BuildKit's records key another builder's steps: neither builder can read the
  other's (BuildKit's config type is ``application/vnd.buildkit.cacheconfig.v0``).
- **The layers**: each layer the records name, annotated with its diff ID
  (``containerd.io/uncompressed``, as BuildKit's): in a folder as the store keeps it
  (an uncompressed tar, whose digest is its diff ID), in a registry gzipped as a push
  sends it (a compressed form already made or held there is reused); and,
  with ``cache-mounts=true``, a tar of each cache mount, annotated with the mount's
  id and what it starts from (store/cache_mounts.py).
- **Inline**: the records alone, under ``io.portside.build-cache.v1`` in an image's
  config (BuildKit keeps its own under ``moby.buildkit.cache.v0``); the layers are
  the image's own, found by their diff IDs.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable

from ..errors import InvalidArchive
from ..image.manifest import OCI_LAYER, Descriptor, canonical_json
from ..records import dataclass
from ..store.metadata import CacheRow

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import Any

CONFIG_TYPE = "application/vnd.portside.build-cache.v1+json"
BUILDKIT_CONFIG_TYPE = "application/vnd.buildkit.cacheconfig.v0"
INLINE_KEY = "io.portside.build-cache.v1"
MOUNT_ID = "io.portside.cache-mount.id"
MOUNT_BASE = "io.portside.cache-mount.base"
UNCOMPRESSED = "containerd.io/uncompressed"  # a layer blob's diff ID, as BuildKit notes it


@dataclass(frozen=True)
class Cache:
    """A cache read back: its records by key, the blob of each layer by diff ID, and
    the tars of cache mounts with the (id, base) of each."""

    records: dict[str, CacheRow]
    blobs: dict[str, Descriptor]
    mounts: tuple[tuple[str, str, Descriptor], ...] = ()


def records_json(rows: Iterable[CacheRow]) -> list[dict[str, Any]]:
    return [
        {
            "key": row.key,
            "probe": row.probe,
            "config": json.loads(row.config),
            "history": json.loads(row.history),
            "inputs": json.loads(row.inputs),
            "layers": list(row.layers),
        }
        for row in rows
    ]


def _records(value: Any) -> dict[str, CacheRow]:
    if not isinstance(value, list):
        raise InvalidArchive("the build cache's records are not a list")
    out = {}
    try:
        for item in value:
            row = CacheRow(
                str(item["key"]),
                str(item["probe"]),
                json.dumps(item["config"]),
                json.dumps(item["history"]),
                json.dumps(item["inputs"]),
                [str(d) for d in item["layers"]],
            )
            out[row.key] = row
    except (KeyError, TypeError) as e:
        raise InvalidArchive(f"a build cache record without {e}") from None
    return out


def config(rows: Iterable[CacheRow]) -> bytes:
    return canonical_json({"records": records_json(rows)})


def mount_descriptor(cache_id: str, base: str, digest: str, size: int) -> Descriptor:
    return Descriptor(OCI_LAYER, digest, size, {MOUNT_ID: cache_id, MOUNT_BASE: base})


def read(manifest: bytes, read_blob: Callable[[Descriptor], bytes]) -> Cache:
    """The cache a manifest holds: an exported one, or an image's inline records."""
    try:
        doc = json.loads(manifest)
        config_desc = Descriptor.from_json(doc["config"])
        layers = [Descriptor.from_json(d) for d in doc.get("layers") or []]
    except (ValueError, KeyError, TypeError, InvalidArchive):
        raise InvalidArchive("not an image manifest") from None
    if config_desc.media_type == BUILDKIT_CONFIG_TYPE:
        raise InvalidArchive("a cache BuildKit exported (its steps are not portside's)")
    try:
        body = json.loads(read_blob(config_desc))
    except ValueError:
        raise InvalidArchive("its config is not JSON") from None
    if config_desc.media_type == CONFIG_TYPE:
        mounts = tuple(
            (d.annotations[MOUNT_ID], d.annotations.get(MOUNT_BASE, ""), d)
            for d in layers
            if MOUNT_ID in d.annotations
        )
        blobs = {
            d.annotations.get(UNCOMPRESSED, d.digest): d
            for d in layers
            if MOUNT_ID not in d.annotations
        }
        return Cache(_records(body.get("records")), blobs, mounts)
    inline = body.get(INLINE_KEY) if isinstance(body, dict) else None
    if inline is None:
        raise InvalidArchive(
            "an image without an inline cache (build it with --cache-to type=inline)"
        )
    diff_ids = [str(d) for d in (body.get("rootfs") or {}).get("diff_ids") or []]
    if len(diff_ids) != len(layers):
        raise InvalidArchive("its manifest and config name different numbers of layers")
    return Cache(_records(inline.get("records")), dict(zip(diff_ids, layers, strict=True)))
