"""diff, export and commit: a container's changes seen as files, a tar, a new image."""

from __future__ import annotations

import io
import json
import subprocess
import tarfile
import time

import pytest

from ..conftest import Portside

pytestmark = pytest.mark.usefixtures("busybox")

CHANGES = (
    "mkdir /srv; echo data > /srv/new; rm /bin/ls; mkdir -p /root/made; echo more >> /etc/passwd"
)


def test_diff_lists_only_the_containers_own_changes(portside: Portside) -> None:
    portside("run", "--name", "fresh", "busybox", "true")
    assert portside("diff", "fresh").stdout == ""  # mount points are not changes
    portside("run", "--name", "changed", "busybox", "sh", "-c", CHANGES)
    assert portside("diff", "changed").stdout.splitlines() == [
        "C /bin",
        "D /bin/ls",
        "C /etc/passwd",  # /etc kept its time: a changed file in it changes only the file
        "C /root",
        "A /root/made",
        "A /srv",
        "A /srv/new",
    ]
    r = portside("diff", "nobox", check=False)
    assert r.returncode == 1 and "No such container: nobox" in r.stderr


def test_diff_marks_the_folder_of_an_added_or_deleted_file_changed(portside: Portside) -> None:
    """Docker lists the folder of an added or deleted entry as changed even when the
    folder kept its time and mode (here: touched back to its image's time)."""
    script = (
        "e=$(stat -c %Y /etc); r=$(stat -c %Y /root); rm /etc/group; echo x > /etc/new;"
        " mkdir -p /root/a/b; touch -d @$e /etc; touch -d @$r /root"
    )
    portside("run", "--name", "gone", "busybox", "sh", "-c", script)
    assert portside("diff", "gone").stdout.splitlines() == [
        "C /etc",
        "D /etc/group",
        "A /etc/new",
        "C /root",
        "A /root/a",
        "A /root/a/b",
    ]
    # every folder up to the root, once, as Docker 20.10 lists them (seen with its dockerd)
    portside("run", "--name", "maker", "busybox", "sh", "-c", "mkdir -p /a/b/c; touch /a/b/c/f")
    portside("commit", "maker", "nested")
    portside("run", "--name", "deep", "nested", "rm", "/a/b/c/f")
    assert portside("diff", "deep").stdout.splitlines() == [
        "C /a",
        "C /a/b",
        "C /a/b/c",
        "D /a/b/c/f",
    ]


def test_export_is_the_whole_filesystem(portside: Portside, tmp_path) -> None:
    portside("run", "--name", "changed", "busybox", "sh", "-c", CHANGES)
    with tarfile.open(fileobj=io.BytesIO(portside("export", "changed").stdout_bytes)) as tf:
        names = set(tf.getnames())
        assert {"bin/sh", "srv/new", "root/made", "etc/passwd"} <= names
        assert "bin/ls" not in names
        passwd = tf.extractfile("etc/passwd")
        assert passwd is not None and passwd.read().endswith(b"more\n")
    out = tmp_path / "fs.tar"
    portside("export", "-o", str(out), "changed")
    with tarfile.open(out) as tf:
        assert "srv/new" in tf.getnames()
    r = portside("export", "-o", str(tmp_path / "no" / "fs.tar"), "changed", check=False)
    assert r.returncode == 1
    assert not (tmp_path / "no").exists()


def test_commit_makes_an_image_that_runs(portside: Portside) -> None:
    portside("run", "--name", "changed", "-e", "FROM_RUN=yes", "busybox", "sh", "-c", CHANGES)
    image_id = portside(
        "commit",
        "-m",
        "added data",
        "-a",
        "Tester <t@example.com>",
        "-c",
        'CMD ["cat", "/srv/new"]',
        "changed",
        "committed:v1",
    ).stdout.strip()
    assert image_id.startswith("sha256:")
    assert portside("run", "--rm", "committed:v1").stdout == "data\n"
    r = portside("run", "--rm", "committed:v1", "sh", "-c", "ls /bin/ls; echo $FROM_RUN; ls /root")
    assert r.stdout == "yes\nmade\n" and "No such file" in r.stderr  # the deletion holds
    image = json.loads(portside("image", "inspect", "committed:v1").stdout)[0]
    assert image["Author"] == "Tester <t@example.com>"
    assert image["Comment"] == "added data"  # -m is the image's comment, as in Docker
    assert image["Config"]["Cmd"] == ["cat", "/srv/new"]
    assert len(image["RootFS"]["Layers"]) == 2
    history = portside("history", "--no-trunc", "committed:v1").stdout
    assert "added data" in history and "rm /bin/ls" in history
    comments = portside("history", "--format", "{{.Comment}}", "committed:v1").stdout
    assert comments.splitlines()[0] == "added data"
    r = portside("commit", "-c", "BOGUS x", "changed", "bad:v1", check=False)
    assert r.returncode == 1 and "BOGUS" in r.stderr
    assert "bad" not in portside("images").stdout  # nothing half-made


def test_commit_pauses_a_running_container(portside: Portside) -> None:
    portside("run", "-d", "--name", "busy", "busybox", "sh", "-c", "echo x > /tmp/f; sleep 300")
    deadline = time.monotonic() + 10
    while "A /tmp/f" not in portside("diff", "busy").stdout:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    portside("commit", "busy", "snap")
    assert portside("inspect", "-f", "{{.State.Status}}", "busy").stdout == "running\n"
    assert portside("run", "--rm", "snap", "cat", "/tmp/f").stdout == "x\n"


def test_top_lists_the_containers_processes(portside: Portside) -> None:
    portside("run", "-d", "--name", "busy", "busybox", "sleep", "300")
    lines = portside("top", "busy").stdout.splitlines()
    assert lines[0].split() == ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"]
    assert [line.split(None, 7)[-1] for line in lines[1:]] == ["sleep 300"]
    assert portside("top", "busy", "-o", "pid,comm").stdout.split()[-1] == "sleep"
    portside("create", "--name", "idle", "busybox")
    r = portside("top", "idle", check=False)
    assert r.returncode == 1 and "is not running" in r.stderr


def test_attach_gets_output_input_and_exit_code(portside: Portside) -> None:
    portside(
        "run",
        "-d",
        "-i",
        "--name",
        "talk",
        "busybox",
        "sh",
        "-c",
        "echo ready; read x; echo got $x; exit 4",
    )
    proc = subprocess.Popen(
        portside.argv("attach", "talk"), stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    out, _ = proc.communicate(b"hello\n", timeout=20)
    assert proc.returncode == 4
    assert out.endswith(b"got hello\n")  # "ready" may have come before attach did
    r = portside("attach", "talk", check=False)
    assert r.returncode == 1 and "You cannot attach to a stopped container" in r.stderr
