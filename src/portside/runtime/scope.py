"""Paths inside a container's root, resolved the way the container would see them.

Symlinks are followed *inside* the root: an absolute link target is taken relative to
the root and ``..`` never climbs above it, so no link in an image can make portside
touch a host path (Docker's FollowSymlinkInScope).
"""

from __future__ import annotations

import os
import posixpath
import stat

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from pathlib import Path

    from _typeshed import StrPath

_MAX_LINKS = 255


def container_path(given: str) -> str:
    """A container path as the user typed it, absolute and normalised: ``etc//x/`` ->
    ``/etc/x``. (Symlinks are not looked at: that is ``resolve_in_root``.)"""
    return posixpath.normpath("/" + given.lstrip("/"))


def resolve_in_root(root: StrPath, path: str) -> Path:
    """The host path for container path ``path``; the last component may not exist."""
    from pathlib import Path  # a copy into the root; a start needs only host_path_in

    return Path(host_path_in(root, path))


def host_path_in(root: StrPath, path: str) -> str:
    """``resolve_in_root``, as a string."""
    root_s = os.path.realpath(root)
    parts = [p for p in path.split("/") if p and p != "."]
    resolved: list[str] = []
    links = 0
    while parts:
        part = parts.pop(0)
        if part == "..":
            if resolved:
                resolved.pop()
            continue
        candidate = posixpath.join(root_s, *resolved, part)
        try:
            st = os.lstat(candidate)
        except FileNotFoundError:
            resolved.append(part)
            continue
        if stat.S_ISLNK(st.st_mode):
            links += 1
            if links > _MAX_LINKS:
                raise OSError(40, "too many levels of symbolic links", path)
            target = os.readlink(candidate)
            if target.startswith("/"):
                resolved = []
            parts = [p for p in target.split("/") if p and p != "."] + parts
            continue
        resolved.append(part)
    return posixpath.join(root_s, *resolved)


def makedirs_in_root(root: StrPath, path: str, uid: int = 0, gid: int = 0) -> None:
    """``mkdir -p`` of a container path, every component resolved inside ``root``."""
    current = ""
    for part in [p for p in path.split("/") if p and p != "."]:
        current = f"{current}/{part}"
        host = host_path_in(root, current)
        if not os.path.exists(host):
            os.mkdir(host, 0o755)
            os.chown(host, uid, gid)
