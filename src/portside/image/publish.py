"""An image into the store: its staged layers, its config and an OCI manifest naming
them, published together (under the caller's ``Publisher``) and recorded as one row.
Import, load, commit, build and pull all end here."""

from __future__ import annotations

import time

from ..store.metadata import ImageRow
from ..store.store import Publisher, Store
from .ingest import StagedLayer
from .manifest import OCI_CONFIG, OCI_LAYER, Descriptor, ImageConfig, oci_manifest


def publish_image(
    store: Store, publisher: Publisher, config: bytes, layers: list[StagedLayer], parent: str = ""
) -> str:
    """Publish staged layers, the config and a manifest; record the image. Returns its ID."""
    for layer in layers:
        layer.publish(store, publisher)
    image_id = publisher.blob_bytes(config)
    layer_descs = [
        Descriptor(OCI_LAYER, layer.diff_id, store.content.size(layer.diff_id)) for layer in layers
    ]
    manifest = oci_manifest(Descriptor(OCI_CONFIG, image_id, len(config)), layer_descs)
    manifest_digest = publisher.blob_bytes(manifest)
    row = ImageRow(
        id=image_id,
        manifest=manifest_digest,
        created=ImageConfig.parse(config).created,
        size=sum(layer.size for layer in layers),
        parent=parent,
        last_tag_time="",
        added=time.time(),
    )
    store.meta.add_image(row, [layer.diff_id for layer in layers])
    return image_id
