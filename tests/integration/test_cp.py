"""cp both ways, for running and stopped containers, with Docker's path rules."""

from __future__ import annotations

import io
import os
import secrets
import tarfile
from pathlib import Path

import pytest

from ..conftest import Portside

pytestmark = pytest.mark.usefixtures("busybox")


@pytest.fixture(params=["running", "stopped"])
def box(request: pytest.FixtureRequest, portside: Portside) -> str:
    if request.param == "running":
        portside("run", "-d", "--name", "box", "busybox", "sleep", "300")
    else:
        portside("create", "--name", "box", "busybox", "sleep", "300")
    return "box"


def read(portside: Portside, box: str, path: str) -> str:
    """A file's content as the container sees it (started for the read if stopped)."""
    out = io.BytesIO(portside("cp", f"{box}:{path}", "-").stdout_bytes)
    with tarfile.open(fileobj=out) as tf:
        member = tf.extractfile(tf.getmembers()[0])
        assert member is not None
        return member.read().decode()


def names(portside: Portside, box: str, path: str) -> list[str]:
    out = io.BytesIO(portside("cp", f"{box}:{path}", "-").stdout_bytes)
    with tarfile.open(fileobj=out) as tf:
        return sorted(tf.getnames())


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """src/ with a file, a folder with a nested file, and a symlink."""
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "top.txt").write_text("top\n")
    (src / "sub" / "deep.txt").write_text("deep\n")
    (src / "link").symlink_to("top.txt")
    os.chown(src / "top.txt", 1234, 4321)
    return src


def test_into_the_container(portside: Portside, box: str, tree: Path) -> None:
    portside("cp", str(tree / "top.txt"), f"{box}:/tmp")  # into an existing folder
    assert read(portside, box, "/tmp/top.txt") == "top\n"
    portside("cp", str(tree / "top.txt"), f"{box}:/tmp/renamed")  # a new name
    assert read(portside, box, "/tmp/renamed") == "top\n"
    portside("cp", str(tree), f"{box}:/tmp/new")  # a folder to a new name: its contents
    assert names(portside, box, "/tmp/new") == [
        "new",
        "new/link",
        "new/sub",
        "new/sub/deep.txt",
        "new/top.txt",
    ]
    portside("cp", str(tree), f"{box}:/tmp/new")  # to an existing folder: inside it
    assert "new/src/sub/deep.txt" in names(portside, box, "/tmp/new")
    portside("cp", f"{tree}/.", f"{box}:/root")  # "/.": the contents, into the folder
    assert read(portside, box, "/root/sub/deep.txt") == "deep\n"
    out = io.BytesIO(portside("cp", f"{box}:/root/top.txt", "-").stdout_bytes)
    with tarfile.open(fileobj=out) as tf:
        assert (tf.getmember("top.txt").uid, tf.getmember("top.txt").gid) == (0, 0)
    portside("cp", "-a", str(tree / "top.txt"), f"{box}:/root/kept")
    out = io.BytesIO(portside("cp", f"{box}:/root/kept", "-").stdout_bytes)
    with tarfile.open(fileobj=out) as tf:
        assert (tf.getmember("kept").uid, tf.getmember("kept").gid) == (1234, 4321)


def test_out_of_the_container(portside: Portside, box: str, tmp_path: Path) -> None:
    dest = tmp_path / "out"
    dest.mkdir()
    portside("cp", f"{box}:/etc/passwd", str(dest))
    assert (dest / "passwd").read_text().startswith("root:x:0:0:")
    portside("cp", f"{box}:/etc/group", str(dest / "g"))
    assert (dest / "g").read_text().startswith("root:x:0:")
    portside("cp", f"{box}:/etc", str(dest / "etc-copy"))
    assert (dest / "etc-copy" / "passwd").is_file()
    portside("cp", f"{box}:/etc/.", str(dest))
    assert (dest / "group").is_file()
    portside("cp", f"{box}:/", str(dest / "root-copy"))  # the root has no name of its own
    assert (dest / "root-copy" / "bin" / "busybox").is_file()
    portside("cp", f"{box}:/bin/sh", str(dest))  # a symlink stays a symlink without -L
    assert (dest / "sh").is_symlink()
    portside("cp", "-L", f"{box}:/bin/sh", str(dest / "sh-followed"))
    assert (dest / "sh-followed").is_file() and not (dest / "sh-followed").is_symlink()


def test_tar_streams_both_ways(portside: Portside, box: str) -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        data = b"from a stream\n"
        info = tarfile.TarInfo("streamed/file.txt")
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
    portside("cp", "-", f"{box}:/tmp", input=buf.getvalue())
    assert read(portside, box, "/tmp/streamed/file.txt") == "from a stream\n"
    assert names(portside, box, "/tmp/streamed") == ["streamed", "streamed/file.txt"]


def test_stopped_container_is_left_unmounted(portside: Portside, tree: Path) -> None:
    portside("create", "--name", "idle", "busybox", "cat", "/srv/top.txt")
    portside("cp", str(tree), "idle:/srv")
    assert str(portside.root) not in Path("/proc/self/mounts").read_text()
    assert portside("start", "-a", "idle").stdout == "top\n"  # the container sees it


def test_bad_copies_change_nothing(
    portside: Portside, box: str, tree: Path, tmp_path: Path
) -> None:
    def fails(*args: str) -> str:
        r = portside("cp", *args, check=False)
        assert r.returncode == 1, r
        return r.stderr

    assert "Could not find the file /nope in container box" in fails(f"{box}:/nope", str(tmp_path))
    assert "no such file or directory" in fails(str(tmp_path / "nope"), f"{box}:/tmp")
    assert "cannot copy directory" in fails(str(tree), f"{box}:/etc/passwd")
    assert "Could not find the file /no/such in container box" in fails(
        str(tree / "top.txt"), f"{box}:/no/such/file"
    )
    assert "no such directory" in fails(str(tree / "top.txt"), f"{box}:/nodir/")
    assert "not a directory" in fails(f"{tree}/top.txt/", f"{box}:/tmp")
    assert "No such container: nobox" in fails(str(tree), "nobox:/tmp")
    assert "copying between containers" in fails(f"{box}:/etc", f"{box}:/tmp")
    portside("create", "--name", "ro", "--read-only", "busybox")
    assert "container rootfs is marked read-only" in fails(str(tree), "ro:/tmp")
    # a folder whose "sub" is a file, over a container folder where "sub" is a folder
    portside("cp", str(tree), f"{box}:/tmp/clash")
    other = tmp_path / "other"
    other.mkdir()
    (other / "sub").write_text("a file now\n")
    (other / "fresh.txt").write_text("must not arrive\n")
    assert "cannot overwrite directory" in fails(f"{other}/.", f"{box}:/tmp/clash")
    assert names(portside, box, "/tmp/clash") == [
        "clash",
        "clash/link",
        "clash/sub",
        "clash/sub/deep.txt",
        "clash/top.txt",
    ]


def test_symlinks_never_reach_the_host(portside: Portside, box: str, tmp_path: Path) -> None:
    marker = f"portside-escape-{secrets.token_hex(4)}"
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        for name, target in (("abs", "/etc"), ("rel", "../../../../../../../../etc")):
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            tf.addfile(info)
    portside("cp", "-", f"{box}:/tmp", input=buf.getvalue())
    (tmp_path / marker).write_text("inside only\n")
    for link in ("abs", "rel"):
        portside("cp", str(tmp_path / marker), f"{box}:/tmp/{link}/")
        assert not Path("/etc", marker).exists()  # the host's /etc is untouched
        assert read(portside, box, f"/etc/{marker}") == "inside only\n"
        # reading through the link reads the container's passwd, not the host's
        assert read(portside, box, f"/tmp/{link}/passwd").startswith("root:x:0:0:root:/root")
    # a stream whose entry goes through a symlink it planted is refused whole
    evil = io.BytesIO()
    with tarfile.open(fileobj=evil, mode="w") as tf:
        info = tarfile.TarInfo("hop")
        info.type, info.linkname = tarfile.SYMTYPE, "/etc"
        tf.addfile(info)
        data = b"escaped\n"
        info = tarfile.TarInfo(f"hop/{marker}-2")
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
    r = portside("cp", "-", f"{box}:/tmp", input=evil.getvalue(), check=False)
    assert r.returncode == 1 and "symlink" in r.stderr
    assert not Path("/etc", f"{marker}-2").exists()
    assert "tmp/hop" not in names(portside, box, "/tmp")


@pytest.mark.parametrize("state", ["running", "stopped"])
def test_volumes_and_binds_are_copied_where_the_container_sees_them(
    portside: Portside, state: str, tree: Path, tmp_path: Path
) -> None:
    bound, shown = tmp_path / "bound", tmp_path / "shown"
    bound.mkdir()
    shown.mkdir()
    (shown / "given.txt").write_text("from the host\n")
    one = tmp_path / "one.txt"
    one.write_text("one file\n")
    mounts = ["-v", f"{bound}:/data", "-v", "vol:/vol", "-v", f"{shown}:/ro:ro"]
    mounts += ["-v", f"{one}:/one.txt"]
    verb = ["run", "-d"] if state == "running" else ["create"]
    portside(*verb, "--name", "mnt", *mounts, "busybox", "sleep", "300")
    before = Path("/proc/self/mounts").read_text().count(str(portside.root))

    portside("cp", str(tree / "top.txt"), "mnt:/data/")  # into a bind: the host folder
    assert (bound / "top.txt").read_text() == "top\n"
    portside("cp", str(tree), "mnt:/vol/tree")  # into a named volume: its data
    seen = portside("run", "--rm", "-v", "vol:/v", "busybox", "cat", "/v/tree/sub/deep.txt")
    assert seen.stdout == "deep\n"
    assert read(portside, "mnt", "/ro/given.txt") == "from the host\n"  # out of a bind
    out = tmp_path / "out"
    portside("cp", "mnt:/vol/tree", str(out))
    assert (out / "top.txt").read_text() == "top\n"
    assert read(portside, "mnt", "/one.txt") == "one file\n"  # a bound file
    up = tmp_path / "up"
    (up / "data").mkdir(parents=True)
    (up / "data" / "inner.txt").write_text("through the root\n")
    os.chown(up / "data" / "inner.txt", 1234, 4321)
    portside("cp", "-a", f"{up}/.", "mnt:/")  # from the root down into the bind
    assert (bound / "inner.txt").read_text() == "through the root\n"
    assert (os.stat(bound / "inner.txt").st_uid, os.stat(bound / "inner.txt").st_gid) == (
        1234,
        4321,
    )
    if state == "running":
        assert portside("exec", "mnt", "cat", "/data/top.txt").stdout == "top\n"
        # the files start wrote for it, as Docker shows them
        box_id = portside("inspect", "-f", "{{.Id}}", "mnt").stdout.strip()
        assert read(portside, "mnt", "/etc/hostname") == box_id[:12] + "\n"
        assert box_id[:12] in read(portside, "mnt", "/etc/hosts")

    r = portside("cp", str(tree / "top.txt"), "mnt:/ro/", check=False)
    assert (r.returncode, r.stderr.strip()) == (1, "Error: mounted volume is marked read-only")
    assert sorted(p.name for p in shown.iterdir()) == ["given.txt"]
    (up / "ro").mkdir()
    (up / "ro" / "x.txt").write_text("refused\n")
    (up / "data" / "inner.txt").unlink()
    r = portside("cp", f"{up}/ro", "mnt:/", check=False)  # into a read-only mount, from above
    assert (r.returncode, r.stderr.strip()) == (
        1,
        "Error: cannot copy to '/': Read-only file system",
    )
    assert sorted(p.name for p in shown.iterdir()) == ["given.txt"]
    r = portside("cp", str(tree / "top.txt"), "mnt:/one.txt", check=False)
    assert (r.returncode, r.stderr.strip()) == (
        1,
        "Error: cannot overwrite '/one.txt': it is a mount point",
    )
    assert one.read_text() == "one file\n"
    # every bind made for a copy is gone after it, and the container's root is where it was
    assert Path("/proc/self/mounts").read_text().count(str(portside.root)) == before


def test_a_read_only_root_still_takes_copies_into_its_volumes(
    portside: Portside, tree: Path
) -> None:
    portside("create", "--name", "ro", "--read-only", "-v", "work:/work", "busybox")
    portside("cp", str(tree / "top.txt"), "ro:/work/")
    seen = portside("run", "--rm", "-v", "work:/w", "busybox", "cat", "/w/top.txt")
    assert seen.stdout == "top\n"
    r = portside("cp", str(tree / "top.txt"), "ro:/tmp/", check=False)
    assert (r.returncode, r.stderr.strip()) == (1, "Error: container rootfs is marked read-only")
