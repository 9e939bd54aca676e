"""Container root filesystems: overlayfs of the image's layer directories plus a
per-container upper directory, mounted with mount(2) (no `mount` process to fork).

When the option string would pass the one page mount(2) copies (≈ 45 long layer paths),
the new mount API (fsopen/fsconfig/fsmount/move_mount, kernel ≥ 5.2; one ``lowerdir+``
per layer needs ≥ 6.8) takes over, which has no length limit.

``cp`` also bind-mounts a container's volumes and binds into its root for the copy
(engine/container_files.py), as Docker's daemon does.
"""

from __future__ import annotations

import os

from ..errors import StoreError
from ..libc import errno, libc

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from collections.abc import Sequence

    from _typeshed import StrPath

MNT_DETACH = 2
_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC, _MS_REMOUNT = 1, 2, 4, 8, 32
_MS_BIND, _MS_REC, _MS_PRIVATE = 4096, 16384, 1 << 18
_PAGE = 4096
# x86_64 syscall numbers
_SYS_MOVE_MOUNT, _SYS_FSOPEN, _SYS_FSCONFIG, _SYS_FSMOUNT = 429, 430, 431, 432
_FSCONFIG_SET_FLAG, _FSCONFIG_SET_STRING, _FSCONFIG_CMD_CREATE = 0, 1, 6
_MOVE_MOUNT_F_EMPTY_PATH = 4
_AT_FDCWD = -100


def _check(result: int, what: str) -> int:
    if result < 0:
        err = errno()
        raise StoreError(f"{what}: {os.strerror(err)}")
    return result


def _userxattr() -> bool:
    """In a user namespace overlayfs keeps its xattrs in ``user.overlay.*``."""
    from ..userns import rootless

    return rootless()


def mount_overlay(
    lowers: Sequence[StrPath],
    upper: StrPath,
    work: StrPath,
    target: StrPath,
    volatile: bool = False,
) -> None:
    """Mount ``lowers`` (top layer first) under ``upper`` at ``target``. A layer that
    comes twice (two RUN steps that changed nothing give the same empty layer) is kept
    at its upper place only: overlayfs refuses a repeated lower (ELOOP), and the lower
    copy adds nothing the upper one does not.

    ``volatile``: for an overlay mounted once and never again (a build step's): the
    kernel then skips the sync of the whole upper filesystem that an unmount does
    (1.3–1.9 ms here on a quiet disk, and it grows with whatever else is dirty on it);
    after a crash such an upper cannot be mounted again, which a build step's never is."""
    lowers = list(dict.fromkeys(lowers))
    # redirect_dir needs trusted xattrs: in a user namespace it is off by userxattr
    extra = "index=off,userxattr" if _userxattr() else "index=off,redirect_dir=off"
    extra += ",volatile" if volatile else ""
    options = f"lowerdir={':'.join(str(p) for p in lowers)},upperdir={upper},workdir={work},{extra}"
    if len(options) < _PAGE - 1:
        _check(
            libc().mount(b"overlay", os.fsencode(target), b"overlay", 0, options.encode()),
            f"mount overlay at {target}",
        )
        return
    _mount_overlay_fsopen(lowers, upper, work, target, volatile)


def _mount_overlay_fsopen(
    lowers: Sequence[StrPath], upper: StrPath, work: StrPath, target: StrPath, volatile: bool
) -> None:
    sc = libc().syscall
    fs = _check(sc(_SYS_FSOPEN, b"overlay", 0), "fsopen overlay")
    try:

        def set_string(key: bytes, value: bytes) -> None:
            _check(sc(_SYS_FSCONFIG, fs, _FSCONFIG_SET_STRING, key, value, 0), f"fsconfig {key!r}")

        for lower in lowers:
            set_string(b"lowerdir+", os.fsencode(lower))
        set_string(b"upperdir", os.fsencode(upper))
        set_string(b"workdir", os.fsencode(work))
        flags = ([b"userxattr"] if _userxattr() else []) + ([b"volatile"] if volatile else [])
        for flag in flags:
            _check(sc(_SYS_FSCONFIG, fs, _FSCONFIG_SET_FLAG, flag, None, 0), flag.decode())
        _check(sc(_SYS_FSCONFIG, fs, _FSCONFIG_CMD_CREATE, None, None, 0), "fsconfig create")
        mnt = _check(sc(_SYS_FSMOUNT, fs, 0, 0), "fsmount")
        try:
            _check(
                sc(
                    _SYS_MOVE_MOUNT,
                    mnt,
                    b"",
                    _AT_FDCWD,
                    os.fsencode(target),
                    _MOVE_MOUNT_F_EMPTY_PATH,
                ),
                f"move_mount to {target}",
            )
        finally:
            os.close(mnt)
    finally:
        os.close(fs)


def bind_mount(source: StrPath, target: StrPath, readonly: bool) -> None:
    """``mount --rbind`` of ``source`` at ``target``, made private at once so that its
    later unmount cannot propagate to a peer, and read-only when asked."""
    mount = libc().mount
    dest = os.fsencode(target)
    _check(mount(os.fsencode(source), dest, None, _MS_BIND | _MS_REC, None), f"bind {source}")
    try:
        _check(mount(None, dest, None, _MS_PRIVATE | _MS_REC, None), f"make {target} private")
        if readonly:
            flags = _MS_BIND | _MS_REMOUNT | _MS_RDONLY
            _check(mount(None, dest, None, flags, None), f"remount {target} read-only")
    except StoreError:
        unmount(target)
        raise


def mount_tmpfs(target: StrPath, options: str) -> None:
    """A tmpfs at ``target`` (made if missing), with ``options`` (``size=…,mode=…``)."""
    try:
        os.mkdir(target)
    except FileExistsError:
        pass
    flags = _MS_NOSUID | _MS_NODEV | _MS_NOEXEC
    _check(
        libc().mount(b"shm", os.fsencode(target), b"tmpfs", flags, options.encode()),
        f"mount tmpfs at {target}",
    )


def unmount(target: StrPath) -> None:
    """Unmount ``target`` (lazily, so a process still inside cannot block removal)."""
    if libc().umount2(os.fsencode(target), MNT_DETACH) < 0:
        err = errno()
        if err not in (22, 2):  # EINVAL: not a mount point; ENOENT: gone
            raise StoreError(f"unmount {target}: {os.strerror(err)}")


def mounts() -> list[tuple[str, str]]:
    """This mount namespace's mounts: (mount point, filesystem type), in mount order."""
    out = []
    with open("/proc/self/mounts") as f:
        for line in f:
            parts = line.split()
            if len(parts) > 2:
                out.append((_unescape(parts[1]), parts[2]))
    return out


def is_under(path: str, point: str) -> bool:
    """Whether ``path`` is ``point`` or below it (both absolute, normalised)."""
    return path == point or path.startswith(point.rstrip("/") + "/")


def _unescape(field: str) -> str:
    """Space, tab, newline and backslash are octal escapes in /proc/self/mounts."""
    for code, char in (("\\040", " "), ("\\011", "\t"), ("\\012", "\n"), ("\\134", "\\")):
        field = field.replace(code, char)
    return field


def is_mounted(target: StrPath) -> bool:
    try:
        return os.path.ismount(target)
    except OSError:
        return False
