"""A build cache in a folder (``type=local``): an OCI image layout, as BuildKit's local
cache is one. ``index.json`` names the cache's manifest as ``latest``; every blob is
written as the store writes its own (a temporary name, fsync, digest checked, rename),
and ``index.json`` last, by rename, so a reader sees the old cache or the new one.
Blobs an earlier export left are kept (as BuildKit's): a layout can be shared."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import DigestMismatch, InvalidArchive
from ..image.manifest import (
    ANNOTATION_REF_NAME,
    OCI_INDEX,
    OCI_LAYER,
    OCI_MANIFEST,
    Descriptor,
)
from ..store.content import fsync_dir
from ..store.tempnames import temp_name
from .cache_format import UNCOMPRESSED

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import BinaryIO

    from ..store.store import Store

TAG = "latest"  # BuildKit's default name for the cache in the layout
CHUNK = 1 << 20


class LocalLayout:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.blob_dir = root / "blobs" / "sha256"

    def _path(self, digest: str) -> Path:
        return self.blob_dir / digest.removeprefix("sha256:")

    def put_layers(self, store: Store, diff_ids: list[str]) -> list[Descriptor]:
        """Each layer as the store keeps it: its tar, whose digest is its diff ID."""
        out = []
        for diff_id in diff_ids:
            size = store.content.size(diff_id)
            if not self.has_blob(diff_id):
                with store.content.open(diff_id) as f:
                    self.put_blob(diff_id, size, f)
            out.append(Descriptor(OCI_LAYER, diff_id, size, {UNCOMPRESSED: diff_id}))
        return out

    def manifest(self) -> bytes | None:
        """The cache's manifest; None when the folder holds no cache."""
        try:
            index = json.loads((self.root / "index.json").read_bytes())
        except FileNotFoundError:
            return None
        except ValueError:
            raise InvalidArchive(f"{self.root}/index.json is not JSON") from None
        manifests = [Descriptor.from_json(d) for d in index.get("manifests") or []]
        named = [d for d in manifests if d.annotations.get(ANNOTATION_REF_NAME) == TAG]
        if not (named or manifests):
            return None
        return self.read_blob((named or manifests)[-1])

    def read_blob(self, desc: Descriptor) -> bytes:
        try:
            data = self._path(desc.digest).read_bytes()
        except FileNotFoundError:
            raise InvalidArchive(f"blob {desc.digest} is missing from {self.root}") from None
        if "sha256:" + hashlib.sha256(data).hexdigest() != desc.digest:
            raise DigestMismatch(f"blob {desc.digest} of {self.root} does not hash to its name")
        return data

    @contextmanager
    def blob(self, digest: str) -> Iterator[BinaryIO]:
        try:
            f = open(self._path(digest), "rb")
        except FileNotFoundError:
            raise InvalidArchive(f"blob {digest} is missing from {self.root}") from None
        with f:
            yield f

    def has_blob(self, digest: str) -> bool:
        return self._path(digest).exists()

    def put_blob(self, digest: str, size: int, data: BinaryIO) -> None:
        self.blob_dir.mkdir(parents=True, exist_ok=True)
        part = self.blob_dir / f".{temp_name()}"
        try:
            hasher = hashlib.sha256()
            with open(part, "wb") as out:
                while chunk := data.read(CHUNK):
                    hasher.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            if "sha256:" + hasher.hexdigest() != digest or part.stat().st_size != size:
                raise DigestMismatch(f"blob {digest} changed while it was exported")
            os.rename(part, self._path(digest))
        finally:
            part.unlink(missing_ok=True)
        fsync_dir(self.blob_dir)

    def put_manifest(self, body: bytes) -> None:
        import io

        digest = "sha256:" + hashlib.sha256(body).hexdigest()
        self.put_blob(digest, len(body), io.BytesIO(body))
        layout = self.root / "oci-layout"
        if not layout.exists():
            self._replace(layout, b'{"imageLayoutVersion":"1.0.0"}')
        desc = Descriptor(OCI_MANIFEST, digest, len(body), {ANNOTATION_REF_NAME: TAG})
        try:
            index = json.loads((self.root / "index.json").read_bytes())
        except (FileNotFoundError, ValueError):
            index = {}
        others = [
            d
            for d in index.get("manifests") or []
            if isinstance(d, dict) and (d.get("annotations") or {}).get(ANNOTATION_REF_NAME) != TAG
        ]
        new = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [*others, desc.to_json()]}
        self._replace(self.root / "index.json", json.dumps(new, indent=2).encode())

    def _replace(self, path: Path, data: bytes) -> None:
        part = path.parent / f".{temp_name()}"
        try:
            with open(part, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.rename(part, path)
        finally:
            part.unlink(missing_ok=True)
        fsync_dir(path.parent)
