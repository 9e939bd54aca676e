"""Images in the Python library, named as docker-py's high-level API names them.

image = client.images.get("busybox")
image.tag("me/busybox", "1")
with open("bb.tar", "wb") as f:
    for chunk in image.save():
        f.write(chunk)
"""

from __future__ import annotations

import builtins
import io
import os
import tempfile
from collections.abc import Iterator
from typing import IO, Any, BinaryIO, cast

from ..engine import Engine
from .model import Model


class Image(Model):
    """An image, as docker-py's ``Image``: ``id``, ``short_id``, ``tags``, ``attrs``."""

    collection: ImageCollection

    def __repr__(self) -> str:
        return f"<Image: '{', '.join(self.tags)}'>"

    @property
    def short_id(self) -> str:
        return self.id[: len("sha256:") + 10]

    @property
    def tags(self) -> list[str]:
        return [t for t in self.attrs.get("RepoTags") or [] if t != "<none>:<none>"]

    @property
    def labels(self) -> dict[str, str]:
        return dict((self.attrs.get("Config") or {}).get("Labels") or {})

    def reload(self) -> None:
        self.attrs = self.collection.engine.images.inspect_id(self.id)

    def tag(self, repository: str, tag: str | None = None) -> bool:
        target = f"{repository}:{tag}" if tag else repository
        self.collection.engine.images.tag(self.id, target)
        self.reload()
        return True

    def history(self) -> list[dict[str, Any]]:
        return [
            {
                "Id": h.id,
                "Created": h.created,
                "CreatedBy": h.created_by,
                "Size": h.size,
                "Comment": h.comment,
            }
            for h in self.collection.engine.images.history(self.id)
        ]

    def save(self, chunk_size: int = 2 * 1024 * 1024, named: bool | str = False) -> Iterator[bytes]:
        """The image as a ``docker save`` tar, in chunks. ``named`` keeps a tag in it."""
        if named is True:
            name = self.tags[0] if self.tags else self.id
        elif isinstance(named, str):
            if named not in self.tags:
                raise ValueError(f"{named} is not a valid tag for this image")
            name = named
        else:
            name = self.id
        with tempfile.TemporaryFile() as tmp:
            self.collection.engine.image_io.save([name], tmp)
            tmp.seek(0)
            while chunk := tmp.read(chunk_size):
                yield chunk


class ImageCollection:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _image(self, image_id: str) -> Image:
        return Image(self.engine.images.inspect_id(image_id), self)

    def get(self, name: str) -> Image:
        image_id, _ = self.engine.images.resolve(name)
        return self._image(image_id)

    def list(
        self, name: str | None = None, all: bool = False, filters: dict[str, Any] | None = None
    ) -> builtins.list[Image]:
        normalized: dict[str, list[str]] = {}
        for key, value in (filters or {}).items():
            values = value if isinstance(value, list) else [value]
            normalized[key] = [str(v).lower() if isinstance(v, bool) else str(v) for v in values]
        if name:
            normalized.setdefault("reference", []).append(name)
        summaries = self.engine.images.list(all=all, filters=normalized)
        return [self._image(s.id) for s in summaries]

    def load(self, data: bytes | IO[bytes]) -> builtins.list[Image]:
        stream: IO[bytes] = io.BytesIO(data) if isinstance(data, bytes | bytearray) else data
        loaded = self.engine.image_io.load(stream)  # type: ignore[arg-type]
        return [self._image(image.id) for image in loaded]

    def import_image(
        self,
        src: str | bytes | IO[bytes],
        repository: str | None = None,
        tag: str | None = None,
        changes: builtins.list[str] | None = None,
        message: str = "",
    ) -> Image:
        """``docker import``: ``src`` is a path, the bytes of a tar, or a file object."""
        reference = f"{repository}:{tag}" if repository and tag else repository
        if isinstance(src, str):
            with open(src, "rb") as f:
                image_id = self.engine.image_io.import_image(f, reference, changes, message)
        else:
            stream = io.BytesIO(src) if isinstance(src, bytes) else src
            image_id = self.engine.image_io.import_image(stream, reference, changes, message)  # type: ignore[arg-type]
        return self._image(image_id)

    def build(
        self,
        path: str | os.PathLike[str] | None = None,
        tag: str | None = None,
        quiet: bool = False,
        fileobj: IO[bytes] | None = None,
        nocache: bool = False,
        rm: bool = False,
        custom_context: bool = False,
        encoding: str | None = None,
        pull: bool = False,
        forcerm: bool = False,
        dockerfile: str | None = None,
        buildargs: dict[str, str] | None = None,
        labels: dict[str, str] | None = None,
        target: str | None = None,
        network_mode: str | None = None,
    ) -> tuple[Image, builtins.list[dict[str, str]]]:
        """``docker build``, as docker-py's: of the folder ``path``, or of ``fileobj``
        (a Dockerfile, or with ``custom_context`` a tar of the context, gzipped or not);
        ``dockerfile`` is relative to the context. (image, log), the log as docker-py's
        ``{"stream": line}`` items. A failed step raises DockerfileError. Intermediate
        containers are never kept, so ``rm``/``forcerm`` change nothing."""
        from pathlib import Path

        from ..engine.builds import BuildOptions

        if path is None and fileobj is None:
            raise TypeError("Either path or fileobj needs to be provided.")
        log: list[dict[str, str]] = []
        archive = cast(BinaryIO, fileobj) if fileobj is not None and custom_context else None
        opts = BuildOptions(
            context=Path(path) if fileobj is None and path is not None else None,
            context_archive=archive,  # a tar, extracted as it is read
            dockerfile_text=fileobj.read() if fileobj is not None and not custom_context else None,
            dockerfile=Path(dockerfile) if dockerfile else None,
            tags=(tag,) if tag else (),
            build_args=dict(buildargs or {}),
            target=target,
            no_cache=nocache,
            labels=dict(labels or {}),
            network=network_mode or "default",
            pull=pull,
        )
        image_id = self.engine.builds.build(opts, lambda line: log.append({"stream": line + "\n"}))
        return self._image(image_id), log

    def pull(self, repository: str, tag: str | None = None, platform: str | None = None) -> Image:
        """``docker pull``; a tag in ``repository`` itself also works (docker-py's way)."""
        reference = f"{repository}:{tag}" if tag else repository
        image_id = self.engine.registry.pull(reference, lambda line: None, platform or "")
        return self._image(image_id)

    def push(self, repository: str, tag: str | None = None) -> str:
        """``docker push``; the progress lines, one JSON object a line, as docker-py's."""
        import json

        lines: list[str] = []
        reference = f"{repository}:{tag}" if tag else repository
        self.engine.registry.push(reference, lambda line: lines.append(line))
        return "".join(json.dumps({"status": line}) + "\n" for line in lines)

    def remove(
        self, image: str, force: bool = False, noprune: bool = False
    ) -> builtins.list[dict[str, str]]:
        report = self.engine.images.remove(image, force=force)
        return [{"Untagged": n} for n in report.untagged] + [{"Deleted": d} for d in report.deleted]

    def prune(self, filters: dict[str, Any] | None = None) -> dict[str, Any]:
        dangling = str((filters or {}).get("dangling", True)).lower() not in ("false", "0")
        report = self.engine.images.prune(all=not dangling)
        deleted = []
        for item in report.items:
            deleted += [{"Untagged": n} for n in item.untagged]
            deleted += [{"Deleted": d} for d in item.deleted]
        return {"ImagesDeleted": deleted or None, "SpaceReclaimed": report.reclaimed}
