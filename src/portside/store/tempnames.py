"""Names for work in progress (ingest files, layers being extracted).

A name starts with the PID of the process that made it, so a later process can tell
the leftovers of a crashed one (PID gone) from work still under way, and sweep them.
"""

from __future__ import annotations

import os

from ..processes import alive

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from collections.abc import Callable

    from _typeshed import StrPath


def temp_name() -> str:
    return f"{os.getpid()}-{os.urandom(8).hex()}"


def remove_file(path: StrPath) -> None:
    """``rm -f``: ``Path.unlink(missing_ok=True)``, without importing pathlib."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def replace_file(path: str, text: str) -> None:
    """``text`` as the file ``path`` (its folder made if missing), written beside it under
    a name of this process's and renamed over it: a reader, or a crash, sees the old
    file whole or the new one."""
    folder, name = os.path.split(path)
    os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, f".{name}.{os.getpid()}")
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def remove_tree(path: StrPath) -> None:
    """``rm -rf``, whatever fails left as it is; a symbolic link is removed, never
    followed. Not shutil.rmtree: shutil imports fnmatch, re, bz2 and lzma, ~8 ms of
    ``rm``'s start here (docs/benchmarks.md). Like rmtree, it works through directory
    descriptors (os.fwalk), so a link swapped in meanwhile is not followed either."""
    try:
        if os.path.islink(path) or not os.path.isdir(path):
            os.unlink(path)
            return
    except FileNotFoundError:
        return
    except OSError:
        pass
    for _, dirs, files, fd in os.fwalk(path, topdown=False):
        for name in files:
            _quietly(os.unlink, name, fd)
        for name in dirs:  # a link to a directory is listed here, and not descended
            if not _quietly(os.rmdir, name, fd):
                _quietly(os.unlink, name, fd)
    _quietly(os.rmdir, path, None)


def _quietly(remove: Callable[..., None], name: StrPath, dir_fd: int | None) -> bool:
    try:
        remove(name, dir_fd=dir_fd)
    except OSError:
        return False
    return True


def sweep_stale(directory: StrPath) -> int:
    """Remove entries of ``directory`` whose creating process is gone; return how many."""
    removed = 0
    try:
        names = os.listdir(directory)
    except FileNotFoundError:
        return 0
    for name in names:
        pid_text = name.split("-", 1)[0]
        if not pid_text.isdigit() or alive(int(pid_text)):
            continue
        path = os.path.join(directory, name)
        if os.path.isdir(path) and not os.path.islink(path):
            _unmount_under(path)  # never remove files through a mount (a killed build's root)
            remove_tree(path)
        else:
            remove_file(path)
        removed += 1
    return removed


def _unmount_under(path: str) -> None:
    """Unmount every mount at or below ``path``, deepest first."""
    from .snapshots import is_under, mounts, unmount

    top = os.path.realpath(path)
    inside = {p for p, _ in mounts() if is_under(p, top)}
    for point in sorted(inside, key=len, reverse=True):
        unmount(point)
