"""Apply a layer tar to an empty directory, safely, in overlayfs form.

Refused, never written outside the root: absolute member names, ``..`` components,
and any member whose path passes through a symlink (the layer's own symlinks cannot
be followed during extraction). Hard links must point at a member already extracted.

Kept: regular files, directories, symlinks, hard links, character and block devices,
FIFOs, permissions (setuid/setgid/sticky too), ownership, xattrs (PAX ``SCHILY.xattr``)
and modification times. Whiteouts become what overlayfs reads: ``.wh.NAME`` a 0/0
character device ``NAME``, ``.wh..wh..opq`` the ``trusted.overlay.opaque=y`` xattr
(``user.overlay.opaque`` in a user namespace).
"""

from __future__ import annotations

import errno
import os
import posixpath
import stat

from ..errors import InvalidArchive
from ..records import dataclass
from ..userns import overlay_xattrs, rootless

CHUNK = 1 << 20  # bytes per read, as compression.py reads (not imported: bz2, lzma, isal)

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:  # tarfile is loaded to read a tar: writing one needs only tar_writer.py
    import tarfile
    from typing import BinaryIO

    from _typeshed import StrPath

WHITEOUT_PREFIX = ".wh."
OPAQUE_MARKER = ".wh..wh..opq"
OVERLAY_XATTRS = ("trusted.overlay.", "user.overlay.")  # root's, rootless's (userns.py)
_XATTR_PAX = "SCHILY.xattr."


@dataclass(frozen=True)
class LayerStats:
    size: int  # bytes of regular file content (each hard-linked file once)
    entries: int


def safe_member_path(name: str) -> str:
    """Normalise a member name to a relative path; "" for the root itself."""
    if name.startswith("/"):
        raise InvalidArchive(f"refusing member {name!r}: absolute path")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise InvalidArchive(f"refusing member {name!r}: path contains '..'")
    return "/".join(parts)


def is_tar_header(block: bytes) -> bool:
    """Whether ``block`` (a stream's first 512 bytes) starts a tar: a valid header, or
    the zero block an empty archive is made of."""
    import tarfile

    if len(block) < tarfile.BLOCKSIZE:
        return False
    if block == bytes(tarfile.BLOCKSIZE):
        return True
    try:
        tarfile.TarInfo.frombuf(block, "utf-8", "surrogateescape")
    except tarfile.HeaderError:
        return False
    return True


class _Applier:
    def __init__(
        self,
        root: StrPath,
        whiteouts: bool = True,
        owner: tuple[int, int] | None = None,
        mode: int | None = None,
    ) -> None:
        self.root = os.fspath(root)
        self.whiteouts = whiteouts  # False: ``.wh.`` names are plain files (``cp``)
        self.owner = owner  # every entry's (uid, gid) instead of the archive's
        self.mode = mode  # every file's and folder's permissions (COPY --chmod)
        self.is_root = os.geteuid() == 0
        self.known_dirs: set[str] = {""}
        self.dir_times: list[tuple[str, float]] = []
        self.size = 0
        self.entries = 0

    def parent_of(self, rel: str, original: str) -> str:
        """Absolute path of ``rel``'s parent, creating missing dirs, refusing symlinks."""
        parent = posixpath.dirname(rel)
        if parent in self.known_dirs:
            return posixpath.join(self.root, parent) if parent else self.root
        path = self.root
        walked = ""
        for part in parent.split("/"):
            walked = f"{walked}/{part}" if walked else part
            path = posixpath.join(path, part)
            if walked in self.known_dirs:
                continue
            try:
                st = os.lstat(path)
            except FileNotFoundError:
                os.mkdir(path, 0o755)
            else:
                if stat.S_ISLNK(st.st_mode):
                    raise InvalidArchive(
                        f"refusing member {original!r}: path goes through symlink {walked!r}"
                    )
                if not stat.S_ISDIR(st.st_mode):
                    raise InvalidArchive(
                        f"refusing member {original!r}: {walked!r} is not a directory"
                    )
            self.known_dirs.add(walked)
        return path

    def clear(self, path: str, rel: str, keep_dir: bool) -> None:
        """Remove what is at ``path`` so a later member can replace it."""
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            return
        if stat.S_ISDIR(st.st_mode):
            if keep_dir:
                return
            import shutil  # only when a folder is replaced

            shutil.rmtree(path)
            self.known_dirs = {
                d for d in self.known_dirs if d != rel and not d.startswith(rel + "/")
            }
        else:
            os.unlink(path)

    def apply(self, tf: tarfile.TarFile, member: tarfile.TarInfo) -> None:
        rel = safe_member_path(member.name)
        self.entries += 1
        if rel == "":
            if member.isdir():
                self.finish_metadata(self.root, member, is_dir=True)
            return
        parent = self.parent_of(rel, member.name)
        base = posixpath.basename(rel)
        if self.whiteouts and base == OPAQUE_MARKER:
            os.setxattr(parent, overlay_xattrs() + "opaque", b"y")
            return
        if self.whiteouts and base.startswith(WHITEOUT_PREFIX):
            target = posixpath.join(parent, base[len(WHITEOUT_PREFIX) :])
            self.clear(target, posixpath.join(posixpath.dirname(rel), base[4:]).lstrip("/"), False)
            os.mknod(target, stat.S_IFCHR | 0o000, os.makedev(0, 0))
            return
        path = posixpath.join(parent, base)
        self.clear(path, rel, keep_dir=member.isdir())
        if member.isdir():
            if not os.path.isdir(path):
                os.mkdir(path, 0o700)
            self.known_dirs.add(rel)
        elif member.isreg():
            self.write_file(tf, member, path)
        elif member.issym():
            os.symlink(member.linkname, path)
        elif member.islnk():
            source_rel = safe_member_path(member.linkname)
            source = posixpath.join(
                self.parent_of(source_rel, member.name), posixpath.basename(source_rel)
            )
            try:
                if stat.S_ISDIR(os.lstat(source).st_mode):
                    raise InvalidArchive(
                        f"refusing member {member.name!r}: hard link to a directory"
                    )
            except FileNotFoundError:
                raise InvalidArchive(
                    f"refusing member {member.name!r}: hard link to missing {member.linkname!r}"
                ) from None
            os.link(source, path, follow_symlinks=False)
            return  # the link shares the source's metadata
        elif member.ischr() or member.isblk():
            kind = stat.S_IFCHR if member.ischr() else stat.S_IFBLK
            try:
                os.mknod(
                    path,
                    kind | (member.mode & 0o7777),
                    os.makedev(member.devmajor, member.devminor),
                )
            except PermissionError:
                if not rootless():
                    raise
                return  # a user namespace may not make devices: left out, as Docker's and
                # Podman's rootless unpackers do (a container's /dev is its own anyway)
        elif member.isfifo():
            os.mkfifo(path, member.mode & 0o7777)
        else:
            raise InvalidArchive(f"unsupported member type {member.type!r} for {member.name!r}")
        self.finish_metadata(path, member, is_dir=member.isdir())

    def write_file(self, tf: tarfile.TarFile, member: tarfile.TarInfo, path: str) -> None:
        source = tf.extractfile(member)
        assert source is not None
        fd = os.open(
            path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600
        )
        with os.fdopen(fd, "wb") as out:
            remaining = member.size
            while remaining > 0:
                chunk = source.read(min(CHUNK, remaining))
                if not chunk:
                    raise InvalidArchive(f"unexpected end of data in {member.name!r} (truncated?)")
                out.write(chunk)
                remaining -= len(chunk)
        self.size += member.size

    def finish_metadata(self, path: str, member: tarfile.TarInfo, is_dir: bool) -> None:
        link = member.issym()
        if self.is_root:
            set_owner(path, *(self.owner or (member.uid, member.gid)))

        for key, value in member.pax_headers.items():
            if key.startswith(_XATTR_PAX):
                name = key[len(_XATTR_PAX) :]
                raw = value.encode("utf-8", "surrogateescape")
                try:
                    os.setxattr(path, name, raw, follow_symlinks=False)
                except OSError as e:
                    raise InvalidArchive(
                        f"cannot set xattr {name} on {member.name!r}: {e.strerror}"
                    ) from e
        if not link:
            mode = self.mode if self.mode is not None else member.mode
            os.chmod(path, mode & 0o7777)  # after chown, which clears setuid bits
        if is_dir:
            self.dir_times.append((path, member.mtime))
        else:
            os.utime(path, (member.mtime, member.mtime), follow_symlinks=False)

    def finish(self) -> None:
        for path, mtime in reversed(self.dir_times):
            os.utime(path, (mtime, mtime), follow_symlinks=False)


def set_owner(path: str, uid: int, gid: int) -> None:
    """``lchown`` of an extracted or copied entry. An ID the user namespace does not map
    (userns.py) leaves the entry root's inside, as the one-ID notice said."""
    try:
        os.chown(path, uid, gid, follow_symlinks=False)
    except OSError as e:
        if e.errno != errno.EINVAL:
            raise


def apply_tar(
    stream: BinaryIO,
    root: StrPath,
    whiteouts: bool = True,
    owner: tuple[int, int] | None = None,
    mode: int | None = None,
) -> LayerStats:
    """Extract the uncompressed tar ``stream`` into ``root`` (an empty directory);
    ``whiteouts=False`` keeps ``.wh.`` names as they are, ``owner`` and ``mode``
    override the archive's ownership and permissions."""
    import tarfile

    applier = _Applier(root, whiteouts, owner, mode)
    try:
        with tarfile.open(fileobj=stream, mode="r|", bufsize=CHUNK, errorlevel=2) as tf:
            for member in tf:
                applier.apply(tf, member)
    except tarfile.TarError as e:
        raise InvalidArchive(f"invalid tar archive: {e}") from e
    except EOFError as e:
        raise InvalidArchive(f"unexpected end of tar archive (truncated?): {e}") from e
    applier.finish()
    return LayerStats(size=applier.size, entries=applier.entries)
