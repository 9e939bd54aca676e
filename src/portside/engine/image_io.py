"""Bytes into and out of the image store: ``import``, ``load``, ``save``."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, Any, BinaryIO, cast

from ..builder.config_ops import apply_changes
from ..errors import DigestMismatch, InvalidArchive, InvalidArgument, InvalidReference
from ..image.archive_read import (
    Archive,
    ArchiveImage,
    LayerSource,
    open_archive,
    read_images,
)
from ..image.archive_write import SaveItem, write_archive
from ..image.compression import CHUNK, Hasher, decompressed, detect
from ..image.host import host_platform
from ..image.ingest import StagedLayer, existing_layer, stage_layer
from ..image.manifest import (
    canonical_json,
)
from ..image.pipe import piped
from ..image.publish import publish_image
from ..image.reference import Reference, familiar, parse, parse_tagged
from ..records import dataclass
from ..timefmt import now_rfc3339
from .commit_config import CommitConfig, merge
from .images import ImageService, new_tag


def save_item(images: ImageService, image_id: str, tags: list[str]) -> SaveItem:
    """What an archive holds of an image in the store, named ``tags`` (full names)."""
    row = images.row(image_id)
    return SaveItem(
        image_id=image_id,
        manifest_digest=row.manifest,
        manifest_size=images.store.content.size(row.manifest),
        diff_ids=images.store.meta.image_layers(image_id),
        tags=tags,
    )


# (event, layer diff ID or "", bytes done, bytes total or 0)
ProgressFn = Callable[[str, str, int, int], None]


@dataclass(frozen=True)
class LoadedImage:
    id: str
    tags: list[str]  # familiar names
    replaced: list[tuple[str, str]]  # (familiar name, ID of the image that had it before)


# what a container's config gives the image committed from it (Docker's ImageConfig)
COMMITTED_KEYS = (
    "User",
    "ExposedPorts",
    "Env",
    "Entrypoint",
    "Cmd",
    "Volumes",
    "WorkingDir",
    "Labels",
    "StopSignal",
)


class ImageIO:
    def __init__(self, images: ImageService) -> None:
        self.images = images
        self.store = images.store

    # -- import -------------------------------------------------------------------
    def import_image(
        self,
        source: BinaryIO,
        reference: str | None = None,
        changes: list[str] | None = None,
        message: str = "",
        source_name: str = "-",
        progress: ProgressFn | None = None,
    ) -> str:
        """``docker import``: one layer from a (compressed) rootfs tar; returns the image ID."""
        ref = new_tag(reference)
        config = apply_changes({}, changes or [])  # check --change before reading anything
        done = 0

        def on_read(chunk: bytes) -> None:
            nonlocal done
            done += len(chunk)
            if progress:
                progress("importing", "", done, 0)

        staged = stage_layer(self.store, source, on_read=on_read if progress else None)
        try:
            created = now_rfc3339()
            comment = message or f"Imported from {source_name}"
            os_name, arch = host_platform()
            image = {
                "architecture": arch,
                "comment": comment,
                "config": config,
                "created": created,
                "history": [{"created": created, "comment": comment}],
                "os": os_name,
                "rootfs": {"type": "layers", "diff_ids": [staged.diff_id]},
            }
            with self.store.writing() as publisher:
                image_id = publish_image(self.store, publisher, canonical_json(image), [staged])
                if ref is not None:
                    self.store.meta.set_tag(str(ref), image_id, created)
                self.images.record(image_id, "import", ref.familiar() if ref else image_id)
        except BaseException:
            staged.discard(self.store)
            raise
        if progress:
            progress("done", staged.diff_id, done, done)
        return image_id

    # -- commit -------------------------------------------------------------------
    def commit(
        self,
        parent_id: str,
        container_config: dict[str, Any],
        write_layer: Callable[[BinaryIO], None],
        created_by: str,
        reference: str | None = None,
        changes: list[str] | None = None,
        message: str = "",
        author: str = "",
        given: CommitConfig | None = None,
    ) -> str:
        """``docker commit``: the parent image plus one layer that ``write_layer`` writes
        (a tar of the container's changes), with the container's config (under
        ``given`` and the changes, as Docker merges them: engine/commit_config.py);
        the image ID."""
        ref = new_tag(reference)
        base = {k: v for k, v in container_config.items() if k in COMMITTED_KEYS and v}
        if given is None:
            config = apply_changes(base, changes or [])
        else:
            config = merge(apply_changes(given.to_config(), changes or []), base)
        parent = json.loads(self.store.content.read(parent_id))
        staged = piped(write_layer, lambda stream: stage_layer(self.store, stream))
        try:
            created = now_rfc3339()
            entry = {"created": created, "created_by": created_by}
            if author:
                entry["author"] = author
            if message:
                entry["comment"] = message
            diff_ids = [*parent.get("rootfs", {}).get("diff_ids", []), staged.diff_id]
            image = {
                **{k: v for k, v in parent.items() if k in ("architecture", "os", "variant")},
                "config": config,
                "created": created,
                "history": [*parent.get("history", []), entry],
                "rootfs": {"type": "layers", "diff_ids": diff_ids},
            }
            if author:
                image["author"] = author
            if message:
                image["comment"] = message  # inspect's Comment, as Docker's commit sets it
            with self.store.writing() as publisher:
                layers = []
                for diff_id in diff_ids[:-1]:
                    layer = existing_layer(self.store, diff_id)
                    if layer is None:
                        raise DigestMismatch(f"layer {diff_id} of {parent_id} is missing")
                    layers.append(layer)
                image_id = publish_image(
                    self.store, publisher, canonical_json(image), [*layers, staged], parent_id
                )
                if ref is not None:
                    self.store.meta.set_tag(str(ref), image_id, created)
        except BaseException:
            staged.discard(self.store)
            raise
        return image_id

    # -- load ---------------------------------------------------------------------
    def load(self, source: BinaryIO, progress: ProgressFn | None = None) -> list[LoadedImage]:
        """``docker load``: every image of a docker-archive or OCI archive (any compression)."""
        with self._seekable_tar(source) as tar:
            with open_archive(tar) as archive:
                found = read_images(archive)
                if not found:
                    raise InvalidArchive("invalid archive: it holds no image")
                staged: dict[str, StagedLayer] = {}
                try:
                    for image in found:
                        for src in image.layers:
                            if src.diff_id in staged:
                                continue
                            staged[src.diff_id] = self._stage_archive_layer(archive, src, progress)
                    return self._record_loaded(found, staged)
                except BaseException:
                    for layer in staged.values():
                        layer.discard(self.store)
                    raise

    def _stage_archive_layer(
        self, archive: Archive, src: LayerSource, progress: ProgressFn | None
    ) -> StagedLayer:
        existing = existing_layer(self.store, src.diff_id)
        if existing is not None:
            if progress:
                progress("exists", src.diff_id, 0, 0)
            return existing
        hasher = Hasher()
        member = archive.members.get(src.member)
        total = member.size if member is not None else 0
        done = 0

        def on_read(chunk: bytes) -> None:
            nonlocal done
            done += len(chunk)
            if progress:
                progress("loading", src.diff_id, done, total)

        with archive.open(src.member) as f:
            try:
                layer = stage_layer(self.store, cast(BinaryIO, f), src.diff_id, on_read, hasher)
            except DigestMismatch:
                raise DigestMismatch(
                    f"invalid archive: layer {src.member} does not match diff ID {src.diff_id}"
                ) from None
        if src.blob_digest is not None and hasher.digest != src.blob_digest:
            layer.discard(self.store)
            raise DigestMismatch(
                f"invalid archive: blob {src.member} has digest {hasher.digest}, "
                f"expected {src.blob_digest}"
            )
        if src.blob_size is not None and hasher.size != src.blob_size:
            layer.discard(self.store)
            raise DigestMismatch(f"invalid archive: blob {src.member} has the wrong size")
        if progress:
            progress("done", src.diff_id, done, total)
        return layer

    def _record_loaded(
        self, found: list[ArchiveImage], staged: dict[str, StagedLayer]
    ) -> list[LoadedImage]:
        results = []
        meta = self.store.meta
        with self.store.writing() as publisher:
            published: set[str] = set()
            for image in found:
                layers = [staged[src.diff_id] for src in image.layers]
                fresh = [layer for layer in layers if layer.diff_id not in published]
                for layer in fresh:
                    layer.publish(self.store, publisher)
                    published.add(layer.diff_id)
                for layer in layers:
                    layer.ingest = None  # published once; later images reuse it
                    layer.work = None
                image_id = publish_image(self.store, publisher, image.config, layers)
                replaced = []
                when = now_rfc3339()
                for name in image.tags:
                    old = meta.tag_target(name)
                    if old is not None and old != image_id:
                        replaced.append((familiar(name), old))
                    meta.set_tag(name, image_id, when)
                results.append(LoadedImage(image_id, [familiar(t) for t in image.tags], replaced))
                self.images.record(image_id, "load", image_id)
        return results

    @contextmanager
    def _seekable_tar(self, source: BinaryIO) -> Iterator[BinaryIO]:
        """A seekable, uncompressed copy of ``source`` (the file itself when possible)."""
        try:
            seekable = source.seekable() and os.path.isfile(getattr(source, "name", ""))
        except (AttributeError, OSError, ValueError):
            seekable = False
        if seekable:
            head = source.read(8)
            source.seek(0)
            if not detect(head):
                yield source
                return
        with tempfile.TemporaryFile(dir=self.store.layers.tmp_dir) as tmp:
            plain, _ = decompressed(source)
            with self.store.filling("the decompressed archive"):
                shutil.copyfileobj(plain, tmp, CHUNK)
            if tmp.tell() == 0:
                raise InvalidArchive("invalid archive: the input is empty")
            tmp.seek(0)
            yield tmp

    # -- save ---------------------------------------------------------------------
    def save(self, names: list[str], out: IO[bytes]) -> None:
        """``docker save``: a docker-archive + OCI layout tar of the named images."""
        if not names:
            raise InvalidArgument("no image names given")
        items: dict[str, SaveItem] = {}
        for text in names:
            image_id, ref = self.images.resolve(text)
            tags = self._tags_to_save(text, image_id, ref)
            if image_id in items:
                items[image_id].tags.extend(t for t in tags if t not in items[image_id].tags)
                continue
            items[image_id] = save_item(self.images, image_id, tags)
        content = self.store.content
        write_archive(out, list(items.values()), content.open, content.size)
        for image_id in items:
            self.images.record(image_id, "save", image_id)

    def _tags_to_save(self, text: str, image_id: str, ref: Reference | None) -> list[str]:
        if ref is None:
            return []
        if ref.digest is not None:
            return []
        try:
            bare = parse(text)
        except InvalidReference:
            return [str(ref)]
        if bare.tag is None:
            # `save busybox` saves every tag of the repository, as Docker does
            return [n for n in self.store.meta.tags_of(image_id) if parse(n).name == ref.name] or [
                str(ref)
            ]
        return [str(parse_tagged(text))]
