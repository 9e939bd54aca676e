"""Write ``docker save`` archives as Docker 25+ does: docker-archive + OCI layout in one tar.

    blobs/sha256/<hex>   layers (uncompressed tars), configs, manifests
    index.json           OCI index, one entry per tag (annotated with the image name)
    manifest.json        docker-archive: [{Config, RepoTags, Layers}]
    oci-layout           {"imageLayoutVersion": "1.0.0"}

The tar is written as a stream (no seeking), so it can go straight to stdout.
"""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Callable

from ..records import dataclass
from .manifest import (
    ANNOTATION_CONTAINERD_NAME,
    ANNOTATION_REF_NAME,
    OCI_INDEX,
    OCI_MANIFEST,
)
from .reference import parse

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import IO, BinaryIO

    BlobOpener = Callable[[str], BinaryIO]
    BlobSizer = Callable[[str], int]


@dataclass(frozen=True)
class SaveItem:
    image_id: str
    manifest_digest: str
    manifest_size: int
    diff_ids: list[str]
    tags: list[str]  # fully qualified names


class _Writer:
    def __init__(self, out: IO[bytes], open_blob: BlobOpener, blob_size: BlobSizer) -> None:
        self.tf = tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT)
        self.open_blob = open_blob
        self.blob_size = blob_size
        self.written: set[str] = set()

    def directory(self, name: str) -> None:
        info = tarfile.TarInfo(name)
        info.type = tarfile.DIRTYPE
        info.mode = 0o755
        self.tf.addfile(info)

    def blob(self, digest: str) -> None:
        if digest in self.written:
            return
        self.written.add(digest)
        info = tarfile.TarInfo("blobs/sha256/" + digest.removeprefix("sha256:"))
        info.size = self.blob_size(digest)
        info.mode = 0o444
        with self.open_blob(digest) as f:
            self.tf.addfile(info, f)

    def file(self, name: str, data: bytes) -> None:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        info.mode = 0o444
        self.tf.addfile(info, io.BytesIO(data))


def write_archive(
    out: IO[bytes], items: list[SaveItem], open_blob: BlobOpener, blob_size: BlobSizer
) -> None:
    w = _Writer(out, open_blob, blob_size)
    w.directory("blobs")
    w.directory("blobs/sha256")
    index_entries = []
    docker_entries = []
    for item in items:
        for diff_id in item.diff_ids:
            w.blob(diff_id)
        w.blob(item.image_id)
        w.blob(item.manifest_digest)
        base = {
            "mediaType": OCI_MANIFEST,
            "digest": item.manifest_digest,
            "size": item.manifest_size,
        }
        for name in item.tags:
            ref = parse(name)
            index_entries.append(
                {
                    **base,
                    "annotations": {
                        ANNOTATION_CONTAINERD_NAME: name,
                        ANNOTATION_REF_NAME: ref.tag or "",
                    },
                }
            )
        if not item.tags:
            index_entries.append(base)
        docker_entries.append(
            {
                "Config": "blobs/sha256/" + item.image_id.removeprefix("sha256:"),
                "RepoTags": [parse(t).familiar() for t in item.tags] or None,
                "Layers": ["blobs/sha256/" + d.removeprefix("sha256:") for d in item.diff_ids],
            }
        )
    index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": index_entries}
    w.file("index.json", json.dumps(index, separators=(",", ":")).encode() + b"\n")
    w.file("manifest.json", json.dumps(docker_entries, separators=(",", ":")).encode() + b"\n")
    w.file("oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
    w.tf.close()
