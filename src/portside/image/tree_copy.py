"""A file tree copied as making its tar and extracting it would leave it (COPY's path).

``path_archive.copy`` used to write the source as a tar in one thread and extract it in
another, which needs ``tarfile`` (~11 ms to import here) and copies every byte twice.
This walks the source instead and makes the same entries: the same names (in sorted
order, ``skip`` asked of each as of a tar member's name), types (a second name of a
hard-linked file a hard link again, a socket left out, no device where a user namespace
may not make one), content, owner (``owner`` instead, when root), permissions (``mode``
instead), and times, a folder's set after its contents. Extended attributes are not
copied, as tarfile's ``add`` never read them.
"""

from __future__ import annotations

import errno
import os
import posixpath
import stat

from ..userns import rootless
from .layer import set_owner

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from collections.abc import Callable

_CHUNK = 1 << 20


class TreeCopy:
    """Entries copied under ``root`` (an empty folder); ``size`` counts file content,
    each hard-linked file once."""

    def __init__(
        self,
        root: str,
        owner: tuple[int, int] | None,
        mode: int | None,
        skip: Callable[[str], bool] | None,
    ) -> None:
        self.root = root
        self.owner = owner
        self.mode = mode
        self.skip = skip
        self.is_root = os.geteuid() == 0
        self.inodes: dict[tuple[int, int], str] = {}  # a hard-linked file -> where copied
        self.folders: list[tuple[str, int]] = []  # their times, set at the end
        self.size = 0

    def add(self, host: str, name: str) -> None:
        """``host`` (not followed) as ``name``; a folder with everything under it."""
        if self.skip is not None and self.skip(name):
            return
        st = os.lstat(host)
        rel = "/".join(part for part in name.split("/") if part not in ("", "."))
        path = f"{self.root}/{rel}" if rel else self.root
        kind = st.st_mode
        if stat.S_ISDIR(kind):
            if rel:
                os.mkdir(path, 0o700)
            self._metadata(path, st, folder=True)
            for child in sorted(os.listdir(host)):
                self.add(os.path.join(host, child), posixpath.join(name, child))
            return
        if stat.S_ISREG(kind):
            inode = (st.st_ino, st.st_dev)
            first = self.inodes.get(inode) if st.st_nlink > 1 else None
            if first is not None:  # each name comes once: another name of that file
                os.link(first, path, follow_symlinks=False)
                return  # the link shares the first name's metadata
            self.size += copy_file(host, path)
            if st.st_ino:
                self.inodes[inode] = path
        elif stat.S_ISLNK(kind):
            os.symlink(os.readlink(host), path)
        elif stat.S_ISCHR(kind) or stat.S_ISBLK(kind):
            try:
                os.mknod(path, stat.S_IFMT(kind) | stat.S_IMODE(kind), st.st_rdev)
            except PermissionError:
                if not rootless():
                    raise
                return  # a user namespace may not make devices: left out, as on extracting
        elif stat.S_ISFIFO(kind):
            os.mkfifo(path, stat.S_IMODE(kind))
        else:
            return  # a socket: a tar has no such member
        self._metadata(path, st, folder=False)

    def _metadata(self, path: str, st: os.stat_result, folder: bool) -> None:
        link = stat.S_ISLNK(st.st_mode)
        if self.is_root:
            set_owner(path, *(self.owner or (st.st_uid, st.st_gid)))
        if not link:
            mode = self.mode if self.mode is not None else st.st_mode
            os.chmod(path, mode & 0o7777)  # after chown, which clears setuid bits
        if folder:
            self.folders.append((path, st.st_mtime_ns))
        else:
            os.utime(path, ns=(st.st_mtime_ns, st.st_mtime_ns), follow_symlinks=False)

    def finish(self) -> None:
        """The folders' times, deepest first: making their entries changed them."""
        for path, mtime in reversed(self.folders):
            os.utime(path, ns=(mtime, mtime), follow_symlinks=False)


def copy_file(source_path: str, target_path: str) -> int:
    """A new file at ``target_path`` (mode 0600 until its metadata is set) with the
    content of ``source_path``; neither is followed if a link. The bytes copied."""
    source = os.open(source_path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        target = os.open(target_path, flags, 0o600)
        try:
            return copy_data(source, target)
        finally:
            os.close(target)
    finally:
        os.close(source)


def copy_data(source: int, target: int) -> int:
    """Everything left in descriptor ``source`` into ``target``; the bytes copied. The
    kernel copies (``copy_file_range``: no trip through this process, a reflink where
    the filesystem makes one) unless it cannot between these two files."""
    copied = 0
    try:
        while n := os.copy_file_range(source, target, _CHUNK):
            copied += n
        return copied
    except OSError as e:
        if copied or e.errno not in (errno.EXDEV, errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
            raise
    while chunk := os.read(source, _CHUNK):
        view = memoryview(chunk)
        while view:
            view = view[os.write(target, view) :]
        copied += len(chunk)
    return copied
