"""COPY's direct copy (image/tree_copy.py) leaves what the tar round trip it replaced
left: the same entries with the same types, content, links, owners, permissions and
times, with and without COPY --chown/--chmod, a skipped name, and a renamed target."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from portside.image import path_archive
from portside.image.pipe import piped

ROOT = os.geteuid() == 0


def by_tar(source: path_archive.Source, target: path_archive.Target, **kw: object) -> int:
    """The copy this module replaced: write_tar in one thread, extract in another."""
    contents_only = source.contents_only and target.rename is None
    name = target.rename or source.name
    skip = kw.pop("skip", None)
    return piped(
        lambda out: path_archive.write_tar(source, out, contents_only, name, skip),  # type: ignore[arg-type]
        lambda stream: path_archive.extract(stream, target, **kw),  # type: ignore[arg-type]
    )


def make_source(root: Path) -> None:
    (root / "app" / "lib" / "deep").mkdir(parents=True)
    (root / "app" / "server.js").write_text("console.log('hi')\n")
    (root / "app" / "big").write_bytes(os.urandom(300_000))
    (root / "app" / "lib" / "empty").write_bytes(b"")
    (root / "app" / "lib" / "deep" / "x").write_text("x")
    os.link(root / "app" / "server.js", root / "app" / "lib" / "server-again.js")
    os.symlink("../server.js", root / "app" / "lib" / "link")
    os.symlink("/nowhere", root / "app" / "dangling")
    os.mkfifo(root / "app" / "fifo")
    os.chmod(root / "app" / "lib" / "deep", 0o750)
    os.chmod(root / "app" / "big", 0o640)
    os.utime(root / "app" / "lib" / "deep" / "x", ns=(5, 1_600_000_000_123_456_000))
    os.utime(root / "app" / "lib", (1_500_000_000, 1_500_000_000))
    if ROOT:
        os.mknod(root / "app" / "null", stat.S_IFCHR | 0o666, os.makedev(1, 3))
        os.chown(root / "app" / "big", 1234, 5678)
        os.chmod(root / "app" / "server.js", 0o4755)


def listing(root: Path) -> dict[str, tuple[object, ...]]:
    """Each entry: type and mode, owner, mtime in ns, link target or content; hard
    links by a shared first name."""
    out: dict[str, tuple[object, ...]] = {}
    first: dict[int, str] = {}
    for folder, dirs, files in os.walk(root):
        for name in sorted(dirs + files):
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, root)
            st = os.lstat(path)
            what: object = None
            if stat.S_ISLNK(st.st_mode):
                what = os.readlink(path)
            elif stat.S_ISREG(st.st_mode):
                what = (open(path, "rb").read(), first.setdefault(st.st_ino, rel))
            elif stat.S_ISCHR(st.st_mode):
                what = st.st_rdev
            mtime = None if stat.S_ISLNK(st.st_mode) else st.st_mtime_ns
            out[rel] = (st.st_mode, st.st_uid, st.st_gid, mtime, what)
    return out


def same(
    a: tuple[int, dict[str, tuple[object, ...]]], b: tuple[int, dict[str, tuple[object, ...]]]
) -> bool:
    """The same size and entries, times within a microsecond: a tar's PAX time is a
    float, which keeps ~0.2 µs of a time today; the direct copy keeps every ns."""
    if a[0] != b[0] or a[1].keys() != b[1].keys():
        return False
    for name, ours in a[1].items():
        theirs = b[1][name]
        if ours[:3] + ours[4:] != theirs[:3] + theirs[4:]:
            return False
        if ours[3] != theirs[3] and abs(int(ours[3]) - int(theirs[3])) > 1000:  # type: ignore[call-overload]
            return False
    return True


@pytest.mark.parametrize(
    "given, kw",
    [
        ("app", {}),
        ("app/.", {}),
        ("app", {"owner": (42, 43)}),
        ("app/.", {"mode": 0o700}),
        ("app", {"skip": lambda name: name.endswith("big") or name.endswith("/deep")}),
    ],
)
def test_the_tree_is_what_the_tar_left(tmp_path: Path, given: str, kw: dict[str, object]) -> None:
    make_source(tmp_path / "src")
    owner = kw.pop("owner", None)
    results = []
    for kind in ("tar", "direct"):
        dest = tmp_path / kind
        dest.mkdir()
        source = path_archive.source_at(tmp_path / "src" / given, given, "missing")
        target = path_archive.plan(source, dest, "/dest", "missing parent")
        if kind == "tar":
            size = by_tar(source, target, owner=owner, **kw)
        else:
            size = path_archive.copy(source, target, owner, **kw)  # type: ignore[arg-type]
        results.append((size, listing(dest)))
    assert same(results[0], results[1]), results
    assert results[1][1]  # something was copied


def test_a_renamed_file(tmp_path: Path) -> None:
    make_source(tmp_path / "src")
    results = []
    for kind in ("tar", "direct"):
        dest = tmp_path / kind
        dest.mkdir()
        source = path_archive.source_at(tmp_path / "src" / "app" / "big", "big", "missing")
        target = path_archive.plan(source, dest / "renamed", "/dest/renamed", "missing parent")
        copy = by_tar if kind == "tar" else path_archive.copy
        size = copy(source, target, owner=None) if kind == "tar" else copy(source, target, None)  # type: ignore[call-arg]
        results.append((size, listing(dest)))
    assert same(results[0], results[1]) and list(results[1][1]) == ["renamed"]
