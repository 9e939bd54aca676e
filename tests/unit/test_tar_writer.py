"""tar_writer.py writes what tarfile's PAX format writes: write_tree over real trees
(every entry type, long, non-ASCII and undecodable names, long links, hard links,
xattrs, whiteouts and an opaque folder, IDs and times that do not fit a ustar field)
gives the same bytes as the tarfile code it replaced, and tarfile and GNU tar read it."""

from __future__ import annotations

import io
import os
import stat
import subprocess
import tarfile
from pathlib import Path

import pytest

from portside.image.layer import OPAQUE_MARKER, WHITEOUT_PREFIX
from portside.image.layer_write import _is_opaque, _is_whiteout, _walk, _xattrs, write_tree

ROOT = os.geteuid() == 0


def by_tarfile(root: Path, whiteouts: bool) -> bytes:
    """The write_tree this module replaced, on tarfile."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tf:
        for rel, host, st in _walk(str(root)):
            if whiteouts and _is_whiteout(st):
                head, _, name = rel.rpartition("/")
                marker = tarfile.TarInfo(f"{head}/{WHITEOUT_PREFIX}{name}".lstrip("/"))
                marker.mtime = int(st.st_mtime)
                tf.addfile(marker)
                continue
            info = tf.gettarinfo(host, arcname=rel)
            if info is None:
                continue
            info.uname = info.gname = ""
            info.pax_headers = _xattrs(host)
            if info.isreg():
                with open(host, "rb") as f:
                    tf.addfile(info, f)
            else:
                tf.addfile(info)
            if whiteouts and stat.S_ISDIR(st.st_mode) and _is_opaque(host):
                marker = tarfile.TarInfo(f"{rel}/{OPAQUE_MARKER}")
                marker.mtime = int(st.st_mtime)
                tf.addfile(marker)
    return out.getvalue()


def by_writer(root: Path, whiteouts: bool) -> bytes:
    out = io.BytesIO()
    write_tree(root, out, whiteouts=whiteouts)
    return out.getvalue()


def make_tree(root: Path) -> None:
    (root / "d" / "e").mkdir(parents=True)
    for size in (0, 1, 511, 512, 513, 100_000):
        (root / "d" / f"f{size}").write_bytes(os.urandom(size))
    os.link(root / "d" / "f1", root / "hard")  # a second name: a link entry
    (root / ("n" * 99)).write_text("x")  # name fits; its folder's "/" would not
    (root / ("long" * 40)).write_text("long name")
    deep = root / ("a" * 90) / ("b" * 90)
    deep.mkdir(parents=True)
    (deep / "c").write_text("deep")
    (root / "café ü").write_text("utf-8 name")
    (root / os.fsdecode(b"raw-\xff\xfe")).write_text("undecodable name")
    os.symlink("d/f1", root / "short-link")
    os.symlink("t" * 150, root / "long-link")
    os.symlink("ziel-ö", root / "utf8-link")
    os.mkfifo(root / "fifo")
    os.setxattr(root / "d" / "f0", "user.note", b"hello")
    os.setxattr(root / "d" / "f1", "user.bin", b"\xff\x00\x01")
    os.utime(root / "d" / "f512", ns=(0, 1_234_567_891_123_456_789))
    os.utime(root / "d" / "f513", (100, 100))  # a whole second: still a float in PAX
    os.utime(root / "d" / "e", (-5, -5))  # before 1970: no ustar field holds it
    if ROOT:
        os.mknod(root / "null", stat.S_IFCHR | 0o666, os.makedev(1, 3))
        os.mknod(root / "blk", stat.S_IFBLK | 0o600, os.makedev(7, 200))
        os.mknod(root / "gone", stat.S_IFCHR, os.makedev(0, 0))  # a whiteout
        os.setxattr(root / "d" / "e", "trusted.overlay.opaque", b"y")
        os.chown(root / "d" / "f100000", 4_100_000, 2_097_152)  # past 7 octal digits, and past
        # the subordinate IDs test_rootless.py looks for in /tmp
        os.chmod(root / "d" / "f0", 0o4755)


@pytest.mark.parametrize("whiteouts", [False, True])
def test_the_bytes_are_tarfiles(tmp_path: Path, whiteouts: bool) -> None:
    make_tree(tmp_path)
    expected = by_tarfile(tmp_path, whiteouts)
    assert by_writer(tmp_path, whiteouts) == expected
    assert len(expected) % 10240 == 0


def test_an_empty_tree_and_one_file(tmp_path: Path) -> None:
    assert by_writer(tmp_path, False) == by_tarfile(tmp_path, False) == bytes(10240)
    (tmp_path / "only").write_bytes(b"x" * 20000)
    assert by_writer(tmp_path, True) == by_tarfile(tmp_path, True)


def test_tarfile_and_gnu_tar_read_it_back(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    make_tree(tree)
    archive = tmp_path / "out.tar"
    archive.write_bytes(by_writer(tree, False))
    with tarfile.open(archive) as tf:
        names = {m.name for m in tf.getmembers()}
        assert "café ü" in names and "long" * 40 in names and "hard" in names
        assert tf.getmember("long-link").linkname == "t" * 150
        assert tf.getmember("hard").islnk() and tf.getmember("hard").linkname == "d/f1"
        assert tf.getmember("d/f0").pax_headers["SCHILY.xattr.user.note"] == "hello"
        data = tf.extractfile("d/f100000")
        assert data is not None and data.read() == (tree / "d" / "f100000").read_bytes()
    listed = subprocess.run(["tar", "-tvf", str(archive)], capture_output=True, text=True)
    assert listed.returncode == 0, listed.stderr
    assert "long-link -> " + "t" * 150 in listed.stdout
