"""Layer tars applied safely and faithfully (as root: devices, ownership, xattrs)."""

from __future__ import annotations

import io
import os
import stat
import tarfile
from pathlib import Path

import pytest

from portside.errors import InvalidArchive
from portside.image.layer import apply_tar


def make_tar(*members: tuple[tarfile.TarInfo, bytes | None]) -> io.BytesIO:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for info, data in members:
            tf.addfile(info, io.BytesIO(data) if data is not None else None)
    buf.seek(0)
    return buf


def entry(
    name: str, kind: bytes = tarfile.REGTYPE, data: bytes | None = None, **attrs: object
) -> tuple[tarfile.TarInfo, bytes | None]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mode = 0o644 if kind == tarfile.REGTYPE else 0o755
    if data is not None:
        info.size = len(data)
    for key, value in attrs.items():
        setattr(info, key, value)
    return info, data


@pytest.mark.parametrize(
    ("members", "message"),
    [
        ([entry("../evil", data=b"x")], "'..'"),
        ([entry("a/../../evil", data=b"x")], "'..'"),
        ([entry("/etc/evil", data=b"x")], "absolute path"),
        (
            [entry("link", tarfile.SYMTYPE, linkname="/tmp"), entry("link/evil", data=b"x")],
            "through symlink",
        ),
        (
            [entry("link", tarfile.SYMTYPE, linkname="../../.."), entry("link/evil", data=b"x")],
            "through symlink",
        ),
        ([entry("hard", tarfile.LNKTYPE, linkname="../outside")], "'..'"),
        ([entry("hard", tarfile.LNKTYPE, linkname="missing")], "missing"),
    ],
)
def test_hostile_members_are_refused_and_nothing_escapes(
    tmp_path: Path, members: list, message: str
) -> None:
    root = tmp_path / "layer"
    root.mkdir()
    outside_before = sorted(os.listdir(tmp_path))
    with pytest.raises(InvalidArchive, match=message):
        apply_tar(make_tar(*members), root)
    assert sorted(os.listdir(tmp_path)) == outside_before
    assert not (tmp_path / "evil").exists()


def test_truncated_tar_is_an_error(tmp_path: Path) -> None:
    data = make_tar(entry("big", data=b"x" * 100_000)).getvalue()[:20_000]
    with pytest.raises(InvalidArchive, match="truncated|unexpected end"):
        apply_tar(io.BytesIO(data), tmp_path)


@pytest.mark.skipif(os.geteuid() != 0, reason="devices, ownership and trusted xattrs need root")
def test_metadata_devices_links_and_whiteouts_are_kept(tmp_path: Path) -> None:
    suid, _ = entry("bin/su", data=b"#!", mode=0o4755, uid=0, gid=0, mtime=1_000_000)
    owned, _ = entry("home/u/f", data=b"hi", uid=1234, gid=5678, mtime=1_500_000)
    xattr, _ = entry("cap", data=b"c")
    xattr.pax_headers = {"SCHILY.xattr.user.portside": "yes"}
    tar = make_tar(
        entry("bin", tarfile.DIRTYPE, mtime=42),
        (suid, b"#!"),
        (owned, b"hi"),
        (xattr, b"c"),
        entry("bin/sh", tarfile.SYMTYPE, linkname="su"),
        entry("bin/su2", tarfile.LNKTYPE, linkname="bin/su"),
        entry("dev/null", tarfile.CHRTYPE, devmajor=1, devminor=3, mode=0o666),
        entry("fifo", tarfile.FIFOTYPE, mode=0o600),
        entry("gone/.wh.file", data=b""),
        entry("opaque/.wh..wh..opq", data=b""),
    )
    stats = apply_tar(tar, tmp_path)
    su = os.stat(tmp_path / "bin/su")
    assert stat.S_IMODE(su.st_mode) == 0o4755
    assert su.st_mtime == 1_000_000
    assert su.st_nlink == 2 and os.stat(tmp_path / "bin/su2").st_ino == su.st_ino
    assert os.readlink(tmp_path / "bin/sh") == "su"
    assert os.stat(tmp_path / "bin").st_mtime == 42
    home = os.stat(tmp_path / "home/u/f")
    assert (home.st_uid, home.st_gid) == (1234, 5678)
    assert os.getxattr(tmp_path / "cap", "user.portside") == b"yes"
    null = os.stat(tmp_path / "dev/null")
    assert (
        stat.S_ISCHR(null.st_mode) and os.major(null.st_rdev) == 1 and os.minor(null.st_rdev) == 3
    )
    assert stat.S_ISFIFO(os.stat(tmp_path / "fifo").st_mode)
    whiteout = os.lstat(tmp_path / "gone/file")
    assert stat.S_ISCHR(whiteout.st_mode) and whiteout.st_rdev == 0
    assert os.getxattr(tmp_path / "opaque", "trusted.overlay.opaque") == b"y"
    assert stats.size == len(b"#!") + len(b"hi") + len(b"c")  # the hard link counted once


def test_later_member_replaces_earlier_one(tmp_path: Path) -> None:
    tar = make_tar(
        entry("x", tarfile.DIRTYPE),
        entry("x/inner", data=b"1"),
        entry("x", data=b"now a file"),
        entry("y", data=b"old"),
        entry("y", data=b"new"),
    )
    apply_tar(tar, tmp_path)
    assert (tmp_path / "x").read_bytes() == b"now a file"
    assert (tmp_path / "y").read_bytes() == b"new"
