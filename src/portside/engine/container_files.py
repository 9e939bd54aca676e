"""A container's files seen from the host: ``cp`` both ways.

A running container's root is already mounted on the host; a stopped one's is mounted
for the copy and unmounted after. Either way the copy holds the store lock, so the
container cannot be started, cleaned up or removed under it. Container paths are
resolved inside the container's root (runtime/scope.py): no symlink in the container
can point the copy at a host path.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from ..image import path_archive
from ..image.path_archive import Source
from ..runtime.scope import resolve_in_root
from ..store.containers import ContainerRow
from ..store.snapshots import unmount
from .containers import ContainerService


class ContainerFiles:
    def __init__(self, containers: ContainerService) -> None:
        self.c = containers

    @contextmanager
    def root(self, ref: str) -> Iterator[tuple[ContainerRow, Path]]:
        """The container's row and its mounted root filesystem, under the store lock."""
        with self.c.store.lock:
            row = self.c.get(ref)
            paths = self.c.paths(row.id)
            mounted_here = self.c.mount(row, paths)
            try:
                yield row, paths.rootfs
            finally:
                if mounted_here:
                    unmount(paths.rootfs)

    # -- out of the container -----------------------------------------------------
    def _source(self, root: Path, ref: str, given: str, follow: bool) -> Source:
        clean = posixpath.normpath("/" + given.lstrip("/"))
        if path_archive.follows_last(given, follow) or clean == "/":
            path = resolve_in_root(root, clean)
        else:
            parent, name = posixpath.split(clean)
            path = resolve_in_root(root, parent) / name
        return path_archive.source_at(
            path, given, f"Could not find the file {given} in container {ref}"
        )

    def archive(self, ref: str, src: str, out: BinaryIO, follow: bool = False) -> None:
        """``cp CONTAINER:SRC -``: the tar stream of SRC."""
        with self.root(ref) as (_, root):
            path_archive.write_tar(self._source(root, ref, src, follow), out, False)

    def copy_out(
        self, ref: str, src: str, dest: str, follow: bool = False, archive: bool = False
    ) -> int:
        """``cp CONTAINER:SRC DEST``; the bytes copied. Without ``archive`` the files
        belong to the calling user, as Docker's do."""
        host_dest = Path(os.path.realpath(dest))
        with self.root(ref) as (_, root):
            source = self._source(root, ref, src, follow)
            target = path_archive.plan(
                source, host_dest, dest, f"lstat {host_dest.parent}: no such file or directory"
            )
            owner = None if archive else (os.getuid(), os.getgid())
            return path_archive.copy(source, target, owner)

    # -- into the container -------------------------------------------------------
    def _target(
        self, root: Path, ref: str, source: Source | None, given: str
    ) -> path_archive.Target:
        clean = posixpath.normpath("/" + given.lstrip("/"))
        parent = posixpath.dirname(clean)
        return path_archive.plan(
            source,
            resolve_in_root(root, clean),
            given,
            f"Could not find the file {parent} in container {ref}",
        )

    def copy_in(
        self, ref: str, src: str, dest: str, follow: bool = False, archive: bool = False
    ) -> int:
        """``cp SRC CONTAINER:DEST``; the bytes copied. Without ``archive`` the files
        belong to the container's root user, as Docker's do."""
        absolute = os.path.abspath(src)
        if path_archive.follows_last(src, follow):
            path = Path(os.path.realpath(absolute))
        else:
            path = Path(os.path.realpath(os.path.dirname(absolute))) / os.path.basename(absolute)
        source = path_archive.source_at(path, src, f"lstat {absolute}: no such file or directory")
        with self.root(ref) as (_, root):
            target = self._target(root, ref, source, dest)
            return path_archive.copy(source, target, None if archive else (0, 0))

    def extract_in(self, ref: str, stream: BinaryIO, dest: str, archive: bool = False) -> int:
        """``cp - CONTAINER:DEST``: a tar stream extracted in the directory DEST."""
        with self.root(ref) as (_, root):
            target = self._target(root, ref, None, dest)
            return path_archive.extract(stream, target, None if archive else (0, 0))
