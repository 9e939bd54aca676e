"""A directory tree as a tar stream, and what a container's upper directory changed.

``write_tree`` writes a whole root filesystem (``export``) or, with ``whiteouts``, an
overlayfs upper directory as an image layer (``commit``): a 0/0 character device (what
overlayfs leaves for a deleted file) becomes a ``.wh.NAME`` entry and an opaque folder
gets a ``.wh..wh..opq`` entry, the inverse of what layer.py extracts. Extended
attributes travel as PAX ``SCHILY.xattr`` records (file capabilities, ACLs); overlayfs's
own ``trusted.overlay.*`` never do. Entries come in sorted order, so the same tree gives
the same bytes and the same diff ID.

``changes`` is ``docker diff``: A(dded), C(hanged), D(eleted) paths of an upper directory
against the read-only layers under it.
"""

from __future__ import annotations

import os
import stat

from ..userns import overlay_xattrs
from .layer import OPAQUE_MARKER, OVERLAY_XATTRS, WHITEOUT_PREFIX
from .tar_writer import TarWriter

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path
    from typing import BinaryIO

    from _typeshed import StrPath


def _is_whiteout(st: os.stat_result) -> bool:
    return stat.S_ISCHR(st.st_mode) and st.st_rdev == 0


def _is_opaque(path: str) -> bool:
    try:
        return os.getxattr(path, overlay_xattrs() + "opaque", follow_symlinks=False) == b"y"
    except OSError:
        return False


def _walk(root: str, rel_dir: str = "") -> Iterator[tuple[str, str, os.stat_result]]:
    """(relative path, host path, lstat) of everything under ``root`` in sorted
    depth-first order (each folder right before its contents); no symlink is followed."""
    host_dir = os.path.join(root, rel_dir) if rel_dir else root
    for name in sorted(os.listdir(host_dir)):
        rel = f"{rel_dir}/{name}" if rel_dir else name
        host = os.path.join(host_dir, name)
        st = os.lstat(host)
        yield rel, host, st
        if stat.S_ISDIR(st.st_mode):
            yield from _walk(root, rel)


def _xattrs(path: str) -> dict[str, str]:
    try:
        names = os.listxattr(path, follow_symlinks=False)
    except OSError:
        return {}
    found = {}
    for name in sorted(names):
        if name.startswith(OVERLAY_XATTRS):
            continue
        try:
            value = os.getxattr(path, name, follow_symlinks=False)
        except OSError:
            continue
        found[f"SCHILY.xattr.{name}"] = value.decode("utf-8", "surrogateescape")
    return found


def write_tree(root: StrPath, out: BinaryIO, whiteouts: bool = False) -> None:
    """Everything under ``root`` as an uncompressed tar, member names relative to it;
    a socket is left out (tar has no such member type)."""
    tar = TarWriter(out)
    for rel, host, st in _walk(os.fspath(root)):
        if whiteouts and _is_whiteout(st):
            head, _, name = rel.rpartition("/")
            tar.add_empty(f"{head}/{WHITEOUT_PREFIX}{name}".lstrip("/"), int(st.st_mtime))
            continue
        tar.add(rel, host, st, _xattrs(host))
        if whiteouts and stat.S_ISDIR(st.st_mode) and _is_opaque(host):
            tar.add_empty(f"{rel}/{OPAQUE_MARKER}", int(st.st_mtime))
    tar.close()


def changes(upper: Path, lowers: list[Path]) -> list[tuple[str, str]]:
    """(kind, "/path") for each change in ``upper`` over ``lowers`` (topmost first). A
    folder that only holds changes and kept its size, mode and time is not listed, as
    in Docker's overlay driver."""
    found = []
    for rel, _, st in _walk(str(upper)):
        if _is_whiteout(st):
            found.append(("D", "/" + rel))
            continue
        below = next(
            (os.lstat(layer / rel) for layer in lowers if os.path.lexists(layer / rel)), None
        )
        if below is None or _is_whiteout(below):
            found.append(("A", "/" + rel))
            continue
        if (
            stat.S_ISDIR(st.st_mode)
            and stat.S_ISDIR(below.st_mode)
            and st.st_mode == below.st_mode
            and st.st_size == below.st_size
            and int(st.st_mtime) == int(below.st_mtime)
        ):
            continue
        found.append(("C", "/" + rel))
    return found
