"""Bind mounts, volumes and tmpfs for real: containers see host edits at once, volume
data outlives its containers, an empty volume takes the image's content, anonymous
volumes go with ``rm -v``, and bad specs are refused with nothing made."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import portside as ps_lib
from tests.conftest import Portside, assert_run_refused

pytestmark = pytest.mark.usefixtures("busybox")


def _mounts(portside: Portside, ref: str) -> list[dict[str, object]]:
    return json.loads(portside("inspect", "-f", "{{json .Mounts}}", ref).stdout)  # type: ignore[no-any-return]


def test_a_bind_mount_shows_host_edits_at_once_and_ro_refuses_writes(
    portside: Portside, tmp_path: Path
) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "server.js").write_text("v1\n")
    cid = portside("run", "-d", "-v", f"{src}:/app", "busybox", "sleep", "300").stdout.strip()
    assert portside("exec", cid, "cat", "/app/server.js").stdout == "v1\n"
    (src / "server.js").write_text("v2\n")  # the live-code workflow: no rebuild, no restart
    assert portside("exec", cid, "cat", "/app/server.js").stdout == "v2\n"
    portside("exec", cid, "sh", "-c", "echo from-inside > /app/out")
    assert (src / "out").read_text() == "from-inside\n"
    assert _mounts(portside, cid) == [
        {
            "Type": "bind",
            "Source": str(src),
            "Destination": "/app",
            "Mode": "",
            "RW": True,
            "Propagation": "rprivate",
        }
    ]
    portside("rm", "-f", cid)
    for flags in (["-v", f"{src}:/app:ro"], ["--mount", f"type=bind,src={src},dst=/app,readonly"]):
        r = portside("run", "--rm", *flags, "busybox", "sh", "-c", "echo x > /app/new", check=False)
        assert r.returncode != 0 and "Read-only file system" in r.stderr
    assert not (src / "new").exists()
    # -v makes a missing host directory, as Docker's does; --mount refuses it
    made = tmp_path / "made" / "here"
    portside("run", "--rm", "-v", f"{made}:/m", "busybox", "true")
    assert made.is_dir()


def test_named_volumes_outlive_containers_are_shared_and_kept_while_used(
    portside: Portside,
) -> None:
    portside("volume", "create", "--label", "app=notes", "notes-data")
    writer = ["run", "--rm", "-v", "notes-data:/data", "busybox"]
    portside(*writer, "sh", "-c", "echo saved > /data/note")
    assert portside(*writer, "cat", "/data/note").stdout == "saved\n"  # a new container
    # two running containers share it
    a = portside("run", "-d", "-v", "notes-data:/data", "busybox", "sleep", "300").stdout.strip()
    b = portside("run", "-d", "-v", "notes-data:/srv:ro", "busybox", "sleep", "300").stdout.strip()
    portside("exec", a, "sh", "-c", "echo from-a > /data/shared")
    assert portside("exec", b, "cat", "/srv/shared").stdout == "from-a\n"
    df = [line.split() for line in portside("system", "df").stdout.splitlines()]
    assert ["Local", "Volumes", "1", "1", "13B", "0B", "(0%)"] in df
    info = json.loads(portside("volume", "inspect", "notes-data").stdout)[0]
    assert info["Name"] == "notes-data" and info["Driver"] == "local"
    assert info["Labels"] == {"app": "notes"} and Path(info["Mountpoint"], "note").exists()
    assert _mounts(portside, b)[0] == {
        "Type": "volume",
        "Name": "notes-data",
        "Source": info["Mountpoint"],
        "Destination": "/srv",
        "Driver": "local",
        "Mode": "ro",
        "RW": False,
        "Propagation": "",
    }
    # in use (running or stopped): refused, and nothing lost
    portside("stop", "-t", "0", a)
    r = portside("volume", "rm", "notes-data", check=False)
    assert r.returncode == 1 and "volume is in use" in r.stderr and a in r.stderr
    assert portside("volume", "ls", "--filter", "dangling=true", "-q").stdout == ""
    portside("rm", "-f", a, b)
    assert portside("volume", "ls", "-q").stdout == "notes-data\n"  # rm -f without -v keeps it
    assert Path(info["Mountpoint"], "shared").read_text() == "from-a\n"
    assert portside("volume", "ls", "--filter", "dangling=true", "-q").stdout == "notes-data\n"
    # prune keeps named volumes unless -a
    assert "notes-data" not in portside("volume", "prune", "-f").stdout
    assert "notes-data" in portside("volume", "prune", "-a", "-f").stdout
    assert portside("volume", "ls", "-q").stdout == ""
    assert not Path(info["Mountpoint"]).exists()
    r = portside("volume", "inspect", "notes-data", check=False)
    assert r.returncode == 1 and "no such volume" in r.stderr


def test_an_empty_volume_takes_the_images_content_and_anonymous_ones_go_with_rm_v(
    portside: Portside, busybox_tar: Path
) -> None:
    portside(
        "import", "--change", 'CMD ["sh"]', "--change", "VOLUME /var/db", str(busybox_tar), "db:1"
    )
    # copy-up: the image's /etc, owner and mode too; nocopy leaves the volume empty
    portside("run", "--rm", "-v", "etc-copy:/etc", "busybox", "true")
    data = Path(json.loads(portside("volume", "inspect", "etc-copy").stdout)[0]["Mountpoint"])
    assert (data / "passwd").exists() and (data / "group").exists()
    portside("run", "--rm", "-v", "etc-empty:/etc:nocopy", "busybox", "true")
    empty = Path(json.loads(portside("volume", "inspect", "etc-empty").stdout)[0]["Mountpoint"])
    assert list(empty.iterdir()) == []
    # VOLUME in the image and -v /path: anonymous volumes, kept by rm, gone with rm -v
    kept = portside("create", "db:1", "true").stdout.strip()
    gone = portside("create", "-v", "/scratch", "db:1", "true").stdout.strip()
    anonymous = {m["Destination"]: m["Name"] for m in _mounts(portside, gone)}
    assert sorted(anonymous) == ["/scratch", "/var/db"]
    assert all(len(str(n)) == 64 for n in anonymous.values())
    before = set(portside("volume", "ls", "-q").stdout.split())
    # --volumes-from shares another container's volumes, :ro forces them read-only
    r = portside(
        "run", "--rm", "--volumes-from", f"{gone}:ro", "busybox", "touch", "/var/db/x", check=False
    )
    assert r.returncode == 1 and "Read-only file system" in r.stderr
    portside("rm", "-v", gone)
    after = set(portside("volume", "ls", "-q").stdout.split())
    assert before - after == set(anonymous.values())
    portside("rm", kept)  # without -v: its anonymous volume stays, and prune takes it
    (leftover,) = after - {"etc-copy", "etc-empty"}
    assert portside("volume", "ls", "--filter", "dangling=true", "-q").stdout.split() == sorted(
        [leftover, "etc-copy", "etc-empty"]
    )
    pruned = portside("volume", "prune", "-f").stdout
    assert leftover in pruned and "etc-copy" not in pruned
    # --rm takes its anonymous volumes along
    portside("run", "--rm", "-v", "/tmpdata", "busybox", "true")
    assert sorted(portside("volume", "ls", "-q").stdout.split()) == ["etc-copy", "etc-empty"]


def test_tmpfs_mounts(portside: Portside) -> None:
    out = portside(
        "run",
        "--rm",
        "--tmpfs",
        "/run/t:size=1m",
        "--mount",
        "type=tmpfs,dst=/scratch,tmpfs-size=2m",
        "busybox",
        "sh",
        "-c",
        "grep -E ' /run/t | /scratch ' /proc/mounts",
    ).stdout
    assert "tmpfs /run/t tmpfs rw,nosuid,nodev,noexec,relatime,size=1024k" in out
    assert "tmpfs /scratch tmpfs rw,nosuid,nodev,noexec,relatime,size=2048k" in out


@pytest.mark.parametrize(
    ("flags", "words"),
    [
        (["-v", "./rel:/x"], '"./rel" includes invalid characters for a local volume name'),
        (["-v", "/tmp:/x:bogus"], "invalid mode: bogus"),
        (["-v", "b@d:/x"], '"b@d" includes invalid characters'),
        (["-v", "/tmp:rel"], "invalid mount path: 'rel' mount path must be absolute"),
        (["-v", "/tmp:/"], "destination can't be '/'"),
        (["-v", "a:b:c:d"], "invalid volume specification: 'a:b:c:d'"),
        (
            ["--mount", "type=bind,src=/no/such/dir,dst=/x"],
            "bind source path does not exist: /no/such/dir",
        ),
        (["--mount", "type=bind,dst=/x"], "field Source must not be empty"),
        (["--mount", "type=volume,src=v,dst=/x,color=red"], "unexpected key 'color'"),
        (["-v", "vol-a:/x", "--tmpfs", "/x"], "Duplicate mount point: /x"),
    ],
)
def test_bad_mounts_are_refused_with_nothing_made(
    portside: Portside, flags: list[str], words: str
) -> None:
    assert_run_refused(portside, flags, words)
    assert not os.path.exists("/no/such/dir")


def test_volumes_through_the_library(portside: Portside, tmp_path: Path) -> None:
    with ps_lib.Client(root=portside.root, runroot=portside.runroot) as client:
        vol = client.volumes.create("libvol", labels={"k": "v"})
        assert vol.name == "libvol" and vol.attrs["Labels"] == {"k": "v"}
        (tmp_path / "in").write_text("host\n")
        out = client.containers.run(
            "busybox",
            ["sh", "-c", "cat /h/in && echo lib > /v/f"],
            volumes={str(tmp_path): {"bind": "/h", "mode": "ro"}, "libvol": {"bind": "/v"}},
            remove=True,
        )
        assert out == b"host\n"
        assert Path(vol.attrs["Mountpoint"], "f").read_text() == "lib\n"
        assert [v.name for v in client.volumes.list()] == ["libvol"]
        vol.remove()
        assert client.volumes.list() == []


def test_system_prune_takes_what_is_unused(portside: Portside) -> None:
    stopped = portside(
        "create", "-v", "/anon", "-v", "keep-me:/k", "busybox", "true"
    ).stdout.strip()
    portside("network", "create", "idle-net")
    running = portside("run", "-d", "busybox", "sleep", "300").stdout.strip()
    out = portside("system", "prune", "-f").stdout
    assert f"Deleted Containers:\n{stopped}\n" in out and "Deleted Networks:\nidle-net\n" in out
    assert "Deleted Volumes" not in out and "Total reclaimed space:" in out
    assert len(portside("volume", "ls", "-q").stdout.split()) == 2  # kept without --volumes
    out = portside("system", "prune", "-f", "--volumes").stdout
    assert portside("volume", "ls", "-q").stdout == "keep-me\n"  # only anonymous ones go
    assert portside("ps", "-q", "--no-trunc").stdout == running + "\n"
    # -a: images no container uses; busybox stays while one runs
    portside("system", "prune", "-a", "-f")
    assert "busybox" in portside("images", "--format", "{{.Repository}}").stdout
    portside("rm", "-f", running)
    assert "untagged: busybox:latest" in portside("system", "prune", "-a", "-f").stdout
    assert portside("images", "-q").stdout == ""
