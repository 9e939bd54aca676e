"""One path copied between two file trees through a tar stream, with ``docker cp``'s rules.

The reading side names what is copied (``Source``: a file, a directory, or a directory's
contents when SRC ends in ``/.``); the writing side decides where it lands (``Target``,
from what DEST is: an existing directory, an existing file, or a new name whose parent
exists). The stream is extracted into a staging directory next to its destination with
the hardened layer extractor (no member may pass through a symlink, none may leave the
root), checked against what is already there, and only then moved into place, so a bad
archive or a file/directory clash changes nothing. An entry that lands on another
filesystem (a container's volume under the destination) is copied across instead.
"""

from __future__ import annotations

import errno
import os
import posixpath
import stat

from ..errors import InvalidArgument, NotFound
from ..records import dataclass
from ..store.tempnames import remove_tree, temp_name
from .layer import apply_tar
from .tree_copy import TreeCopy, copy_file

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    import tarfile
    from collections.abc import Callable
    from typing import BinaryIO

    from _typeshed import StrPath

STAGING_PREFIX = ".portside-cp-"
# what write_tar reads from a file and hands to ``out`` at a time. tarfile's defaults
# (16 KiB reads, 10 KiB writes) made the API's 100 MiB ``docker cp`` out send 10,000
# HTTP chunks: 64 KiB halved the service's CPU for it (0.12 -> 0.06 s here); 128 KiB
# and up measured slower again
WRITE_BUFFER = 64 * 1024


@dataclass(frozen=True)
class Source:
    path: StrPath  # the host path read (a symlink itself unless followed)
    name: str  # the name its top entry gets in the stream
    is_dir: bool
    contents_only: bool  # SRC ended in "/.": the directory's entries, not itself


@dataclass(frozen=True)
class Target:
    dir: StrPath  # an existing directory the stream is extracted into
    shown: str  # how the user named it, for messages
    rename: str | None = None  # the new name of the stream's one top entry


def follows_last(given: str, follow: bool) -> bool:
    """SRC's last component is followed with -L, or when SRC says it is a directory."""
    return follow or given.endswith("/") or given.endswith("/.")


def source_at(path: StrPath, given: str, missing: str) -> Source:
    """What ``given`` (resolved to ``path``) copies; ``missing`` is the error if absent."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        raise NotFound(missing) from None
    is_dir = stat.S_ISDIR(st.st_mode)
    if not is_dir and (given.endswith("/") or given.endswith("/.")):
        raise InvalidArgument(f"not a directory: {given}")
    name = posixpath.basename(posixpath.normpath("/" + given.lstrip("/"))) or "."
    return Source(path, name, is_dir, is_dir and (given.endswith("/.") or name == "."))


def plan(source: Source | None, dest: StrPath, given: str, missing_parent: str) -> Target:
    """Where ``source`` lands at ``dest`` (resolved, symlinks followed); ``None`` for a
    tar stream from stdin, which DEST must be an existing directory for."""
    whole = os.fspath(dest).rstrip("/") or "/"
    parent, name = os.path.dirname(whole), os.path.basename(whole)
    try:
        st = os.stat(dest)
    except FileNotFoundError:
        st = None
    if source is None:
        if st is None or not stat.S_ISDIR(st.st_mode):
            raise InvalidArgument(f"destination {given!r} must be a directory")
        return Target(dest, given)
    if st is not None and stat.S_ISDIR(st.st_mode):
        return Target(dest, given)
    if st is not None:
        if source.is_dir:
            raise InvalidArgument(f"cannot copy directory {source.name!r} to file {given!r}")
        return Target(parent, given, rename=name)
    if given.endswith("/") and not source.is_dir:
        raise InvalidArgument(f"no such directory: {given}")
    if not os.path.isdir(parent):
        raise NotFound(missing_parent)
    return Target(parent, given, rename=name)


def write_tar(
    source: Source,
    out: BinaryIO,
    contents_only: bool,
    name: str = "",
    skip: Callable[[str], bool] | None = None,
) -> None:
    """The stream of ``source``: its top entry named ``name`` (default ``source.name``),
    or, with ``contents_only``, the directory's entries at the top. ``skip`` leaves out
    entries by their name in the stream (.dockerignore)."""
    import tarfile  # a stream to read or write: COPY makes none (tree_copy.py)

    def keep(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
        return None if skip is not None and skip(info.name) else info

    # copybufsize: passed on to TarFile (3.8+), though typeshed's open() omits it
    with tarfile.open(  # type: ignore[call-overload]
        fileobj=out,
        mode="w|",
        format=tarfile.PAX_FORMAT,
        bufsize=WRITE_BUFFER,
        copybufsize=WRITE_BUFFER,
    ) as tf:
        if contents_only:
            for child in sorted(os.listdir(source.path)):
                tf.add(os.path.join(source.path, child), arcname=child, filter=keep)
        else:
            tf.add(source.path, arcname=name or source.name, filter=keep)


def extract(
    stream: BinaryIO, target: Target, owner: tuple[int, int] | None, mode: int | None = None
) -> int:
    """Extract the tar ``stream`` at ``target``; the bytes of file content written."""
    return _staged(target, lambda staging: apply_tar(stream, staging, False, owner, mode).size)


def copy(
    source: Source,
    target: Target,
    owner: tuple[int, int] | None,
    mode: int | None = None,
    skip: Callable[[str], bool] | None = None,
) -> int:
    """``source`` to ``target`` as its stream would land (tree_copy.py: no tar is made);
    the bytes copied."""
    contents_only = source.contents_only and target.rename is None
    name = target.rename or source.name  # "/" and "." have no name of their own

    def fill(staging: str) -> int:
        tree = TreeCopy(staging, owner, mode, skip)
        if contents_only:
            for child in sorted(os.listdir(source.path)):
                tree.add(os.path.join(source.path, child), child)
        else:
            tree.add(os.fspath(source.path), name)
        tree.finish()
        return tree.size

    return _staged(target, fill)


def _staged(target: Target, fill: Callable[[str], int]) -> int:
    """``fill`` a staging folder beside ``target``'s, check it against what is there,
    then move it into place; what ``fill`` returned."""
    staging = os.path.join(target.dir, STAGING_PREFIX + temp_name())  # not tempfile: ~2 ms
    os.mkdir(staging, 0o700)
    try:
        size = fill(staging)
        if target.rename is not None:
            entries = os.listdir(staging)
            if len(entries) != 1:
                raise InvalidArgument(f"cannot copy {len(entries)} entries to {target.shown!r}")
            os.rename(os.path.join(staging, entries[0]), os.path.join(staging, target.rename))
        shown_dir = target.shown if target.rename is None else posixpath.dirname(target.shown)
        _check_merge(staging, target.dir, shown_dir)
        try:
            _merge(staging, target.dir)
        except OSError as e:  # a read-only mount under the destination, a full disk …
            raise InvalidArgument(f"cannot copy to {target.shown!r}: {e.strerror}") from None
        return size
    finally:
        remove_tree(staging)


def _check_merge(new: StrPath, existing: StrPath, shown: str) -> None:
    """Refuse, before anything moves, to put a directory over a non-directory or the
    reverse (as Docker does)."""
    for name in os.listdir(new):
        there = os.path.join(existing, name)
        try:
            old = os.lstat(there)
        except FileNotFoundError:
            continue
        new_is_dir = stat.S_ISDIR(os.lstat(os.path.join(new, name)).st_mode)
        shown_path = posixpath.join(shown, name)
        if not new_is_dir and os.path.ismount(there):  # a bind of a file: rename gives EBUSY
            raise InvalidArgument(f"cannot overwrite {shown_path!r}: it is a mount point")
        if new_is_dir and not stat.S_ISDIR(old.st_mode):
            raise InvalidArgument(f"cannot overwrite non-directory {shown_path!r} with directory")
        if not new_is_dir and stat.S_ISDIR(old.st_mode):
            raise InvalidArgument(f"cannot overwrite directory {shown_path!r} with non-directory")
        if new_is_dir:
            _check_merge(os.path.join(new, name), there, shown_path)


def _merge(new: StrPath, existing: StrPath) -> None:
    """Move ``new``'s entries into ``existing``: new names and files by rename (each one
    atomic), directories that are already there entry by entry, then their metadata."""
    for name in os.listdir(new):
        src, dst = os.path.join(new, name), os.path.join(existing, name)
        st = os.lstat(src)
        if stat.S_ISDIR(st.st_mode) and os.path.lexists(dst):
            _merge(src, dst)
            os.chown(dst, st.st_uid, st.st_gid)
            os.chmod(dst, stat.S_IMODE(st.st_mode))
            os.utime(dst, ns=(st.st_atime_ns, st.st_mtime_ns))
        else:
            try:
                os.rename(src, dst)
            except OSError as e:
                if e.errno != errno.EXDEV:
                    raise
                _move_across(src, dst)


def _move_across(src: str, dst: str) -> None:
    """rename's stand-in where ``dst`` is on another filesystem (a volume or bind that a
    container has under the destination): the entry copied with its owner, mode and
    times, then removed from the staging folder."""
    st = os.lstat(src)
    if stat.S_ISDIR(st.st_mode):
        os.mkdir(dst)
        for name in os.listdir(src):
            _move_across(os.path.join(src, name), os.path.join(dst, name))
    elif stat.S_ISLNK(st.st_mode):
        os.symlink(os.readlink(src), dst)
    elif stat.S_ISREG(st.st_mode):
        copy_file(src, dst)
    else:  # fifos and device nodes
        os.mknod(dst, st.st_mode, st.st_rdev)
    os.lchown(dst, st.st_uid, st.st_gid)
    if not stat.S_ISLNK(st.st_mode):
        os.chmod(dst, stat.S_IMODE(st.st_mode))
    os.utime(dst, ns=(st.st_atime_ns, st.st_mtime_ns), follow_symlinks=False)
