"""A container's files seen from the host: ``cp`` both ways, ``diff``, ``export``,
and ``commit`` (its changes as a new image layer).

A running container's root is already mounted on the host; a stopped one's is mounted
for the copy and unmounted after. Either way the copy holds the store lock, so the
container cannot be started, cleaned up or removed under it. Container paths are
resolved inside the container's root (runtime/scope.py): no symlink in the container
can point the copy at a host path.

``cp`` sees the container's volumes and binds where the container sees them, as
Docker's does: for the copy they are bind-mounted into the root on the host (a running
container's own mounts live in its mount namespace), read-only where the container has
them read-only, and unmounted after. ``diff``, ``export`` and ``commit`` see the root
filesystem alone, as Docker's do. A tmpfs is the container's own and not seen.
"""

from __future__ import annotations

import os
import posixpath
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import Conflict
from ..image import layer_write, path_archive
from ..image.path_archive import Source
from ..network.hostfiles import HOST_FILES
from ..records import dataclass
from ..runtime.scope import container_path, makedirs_in_root, resolve_in_root
from ..store.containers import ContainerRow
from ..store.snapshots import bind_mount, is_under, unmount
from ..store.volumes import MountRow
from ..timefmt import format_rfc3339
from .container_state import Status
from .containers import ContainerService, command_of
from .mounts import in_mount_order

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import Any, BinaryIO

    from .commit_config import CommitConfig
    from .image_io import ImageIO
    from .lifecycle import Lifecycle

# Go's os.FileMode type bits, as Docker's path stat (X-Docker-Container-Path-Stat) has them
_GO_TYPE = {
    stat.S_IFDIR: 1 << 31,
    stat.S_IFLNK: 1 << 27,
    stat.S_IFBLK: 1 << 26,
    stat.S_IFCHR: 1 << 26 | 1 << 21,
    stat.S_IFIFO: 1 << 25,
    stat.S_IFSOCK: 1 << 24,
}
_GO_SPECIAL = ((stat.S_ISUID, 1 << 23), (stat.S_ISGID, 1 << 22), (stat.S_ISVTX, 1 << 20))


@dataclass(frozen=True)
class PathStat:
    """A container path as Docker's archive endpoint describes it."""

    name: str
    size: int
    mode: int  # Go's FileMode: permissions, and 1 << 31 for a directory, 1 << 27 a symlink …
    mtime: str  # RFC 3339
    link_target: str  # a symlink's target, resolved in the container ("" for others)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "size": self.size,
            "mode": self.mode,
            "mtime": self.mtime,
            "linkTarget": self.link_target,
        }


def _stat(root: Path, source: Source, given: str) -> PathStat:
    st = os.lstat(source.path)
    mode = stat.S_IMODE(st.st_mode) & 0o777 | _GO_TYPE.get(stat.S_IFMT(st.st_mode), 0)
    mode |= sum(go for bit, go in _GO_SPECIAL if st.st_mode & bit)
    target = ""
    if stat.S_ISLNK(st.st_mode):
        rel = os.path.relpath(resolve_in_root(root, container_path(given)), os.path.realpath(root))
        target = "/" if rel == "." else "/" + rel
    name = posixpath.basename(container_path(given).rstrip("/")) or "/"
    return PathStat(name, st.st_size, mode, format_rfc3339(st.st_mtime), target)


class ContainerFiles:
    def __init__(self, containers: ContainerService, lifecycle: Lifecycle) -> None:
        self.c = containers
        self.lifecycle = lifecycle

    @contextmanager
    def root(self, ref: str) -> Iterator[tuple[ContainerRow, Path]]:
        """The container's row and its mounted root filesystem, under the store lock."""
        with self.c.store.lock:
            row = self.c.get(ref)
            paths = self.c.paths(row.id)
            mounted_here = self.c.mount(row, paths)
            try:
                yield row, Path(paths.rootfs)
            finally:
                if mounted_here:
                    unmount(paths.rootfs)

    @contextmanager
    def view(self, ref: str) -> Iterator[tuple[ContainerRow, Path, list[MountRow]]]:
        """``root`` with the container's volumes and binds mounted where the container
        has them, and the mounts shown (parents first)."""
        with self.root(ref) as (row, root):
            shown: list[MountRow] = []
            targets: list[Path] = []
            try:
                paths = self.c.paths(row.id)
                rows = self.c.mounts(row.id)
                taken = {container_path(m.destination) for m in rows}
                for name in HOST_FILES:  # what start wrote, unless the user mounts it
                    if f"/etc/{name}" not in taken and os.path.exists(f"{paths.bundle}/{name}"):
                        rows.append(MountRow("bind", f"{paths.bundle}/{name}", f"/etc/{name}"))
                for m in in_mount_order(rows):
                    if m.type == "tmpfs":
                        continue
                    source = Path(m.source) if m.type == "bind" else self.c.volumes.data(m.source)
                    if not source.exists():
                        continue
                    target = _mount_point(root, m.destination, source.is_dir())
                    bind_mount(source, target, m.readonly)
                    targets.append(target)
                    shown.append(m)
                yield row, root, shown
            finally:
                for target in reversed(targets):
                    unmount(target)

    # -- out of the container -----------------------------------------------------
    def _source(self, root: Path, ref: str, given: str, follow: bool) -> Source:
        clean = container_path(given)
        if path_archive.follows_last(given, follow) or clean == "/":
            path = resolve_in_root(root, clean)
        else:
            parent, name = posixpath.split(clean)
            path = resolve_in_root(root, parent) / name
        return path_archive.source_at(
            path, given, f"Could not find the file {given} in container {ref}"
        )

    def archive(self, ref: str, src: str, out: BinaryIO, follow: bool = False) -> PathStat:
        """``cp CONTAINER:SRC -``: the tar stream of SRC; what Docker's stat of it says."""
        with self.view(ref) as (_, root, _mounts):
            source = self._source(root, ref, src, follow)
            path_archive.write_tar(source, out, False)
            return _stat(root, source, src)

    def stat(self, ref: str, src: str, follow: bool = False) -> PathStat:
        """What Docker's stat of SRC says, without its content (the archive endpoint
        sends it as a header before the tar)."""
        with self.view(ref) as (_, root, _mounts):
            return _stat(root, self._source(root, ref, src, follow), src)

    def copy_out(
        self, ref: str, src: str, dest: str, follow: bool = False, archive: bool = False
    ) -> int:
        """``cp CONTAINER:SRC DEST``; the bytes copied. Without ``archive`` the files
        belong to the calling user, as Docker's do."""
        host_dest = Path(os.path.realpath(dest))
        with self.view(ref) as (_, root, _mounts):
            source = self._source(root, ref, src, follow)
            target = path_archive.plan(
                source, host_dest, dest, f"lstat {host_dest.parent}: no such file or directory"
            )
            owner = None if archive else (os.getuid(), os.getgid())
            return path_archive.copy(source, target, owner)

    # -- into the container -------------------------------------------------------
    def _target(
        self,
        ref: str,
        row: ContainerRow,
        root: Path,
        mounts: list[MountRow],
        source: Source | None,
        given: str,
    ) -> path_archive.Target:
        """Where a copy into the container goes; refused, as Docker refuses it, into a
        read-only mount or, outside every mount, into a read-only root filesystem."""
        clean = container_path(given)
        host = resolve_in_root(root, clean)
        rel = os.path.relpath(host, os.path.realpath(root))
        inside = "/" if rel == "." else "/" + rel
        under = [m for m in mounts if is_under(inside, container_path(m.destination))]
        if under:
            if under[-1].readonly:
                raise Conflict("mounted volume is marked read-only")
        elif row.host_config.get("ReadonlyRootfs"):
            raise Conflict("container rootfs is marked read-only")
        parent = posixpath.dirname(clean)
        return path_archive.plan(
            source, host, given, f"Could not find the file {parent} in container {ref}"
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
        with self.view(ref) as (row, root, mounts):
            target = self._target(ref, row, root, mounts, source, dest)
            return path_archive.copy(source, target, None if archive else (0, 0))

    def extract_in(self, ref: str, stream: BinaryIO, dest: str, archive: bool = False) -> int:
        """``cp - CONTAINER:DEST``: a tar stream extracted in the directory DEST."""
        with self.view(ref) as (row, root, mounts):
            target = self._target(ref, row, root, mounts, None, dest)
            return path_archive.extract(stream, target, None if archive else (0, 0))

    # -- the whole tree -------------------------------------------------------------
    def changes(self, ref: str) -> list[tuple[str, str]]:
        """``diff``: (A|C|D, path) of what the container changed over its image."""
        with self.c.store.lock:
            row = self.c.get(ref)
            paths = self.c.paths(row.id)
            lowers = [Path(p) for p in self.c.lowers(row, paths)]
            return with_parents(layer_write.changes(Path(paths.upper), lowers))

    def export(self, ref: str, out: BinaryIO) -> None:
        """``export``: the container's root filesystem as a tar stream."""
        with self.root(ref) as (_, root):
            layer_write.write_tree(root, out)

    def commit(
        self,
        image_io: ImageIO,
        ref: str,
        reference: str | None = None,
        changes: list[str] | None = None,
        message: str = "",
        author: str = "",
        pause: bool = True,
        config: CommitConfig | None = None,
    ) -> str:
        """``commit``: a new image of the container's image plus its changes; its ID. A
        running container is paused meanwhile (unless ``pause`` is False), as Docker does;
        rootless it is not, having no freezer cgroup (as Podman's on cgroup v1).
        ``config``: what the image's config is given over the container's."""
        from ..userns import rootless

        with self.c.store.lock:
            row = self.c.get(ref)
            paths = self.c.paths(row.id)
            paused_here = pause and row.status == Status.RUNNING and not rootless()
            if paused_here:
                self.lifecycle.pause(row.id)
            try:
                path, args = command_of(row)
                image_id = image_io.commit(
                    row.image_id,
                    row.config,
                    lambda out: layer_write.write_tree(Path(paths.upper), out, whiteouts=True),
                    " ".join([path, *args]),
                    reference,
                    changes,
                    message,
                    author,
                    config,
                )
                from .events import record_container

                record_container(
                    self.c.store,
                    row,
                    "commit",
                    comment=message,
                    imageID=image_id,
                    imageRef=reference or "",
                )
                return image_id
            finally:
                if paused_here:
                    self.lifecycle.unpause(row.id)


def with_parents(changes: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Docker's rule on top of the walk: every folder above an added or deleted entry,
    up to the root, is changed (``C``), once, even when it kept its time and mode, so
    deleting ``/etc/group`` reports ``C /etc``. In the walk's order (parents first,
    names sorted per folder), as Docker lists them."""
    kinds = {path: kind for kind, path in changes}
    for kind, path in changes:
        if kind in ("A", "D"):
            parent = posixpath.dirname(path)
            while parent != "/":
                kinds.setdefault(parent, "C")
                parent = posixpath.dirname(parent)
    return [(kinds[p], p) for p in sorted(kinds, key=lambda p: p.split("/"))]


def _mount_point(root: Path, destination: str, is_dir: bool) -> Path:
    """The host path of a mount's destination in ``root``, made (a directory, or an
    empty file for a file's bind) when missing, as runc would make it at start."""
    inside = container_path(destination)
    target = resolve_in_root(root, inside)
    if not target.exists():
        makedirs_in_root(root, inside if is_dir else posixpath.dirname(inside))
        if not is_dir:
            target.touch(0o644)
    return target
