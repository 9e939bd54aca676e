"""The event journal (issue 20): every operation leaves Docker's events in the store, the
monitor's exit hook records a container's death, and ``portside events`` reads them
between two times, filtered, formatted, or follows new ones."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ..conftest import OFFLINE, Portside
from .registries import serve

pytestmark = pytest.mark.usefixtures("busybox")


def events(portside: Portside, since: float, *args: str) -> list[str]:
    until = time.time() + 0.001
    r = portside("events", "--since", f"{since:.6f}", "--until", f"{until:.6f}", *args)
    return r.stdout.splitlines()


def actions(lines: list[str]) -> list[tuple[str, str]]:
    return [(line.split()[1], line.split()[2]) for line in lines]


def test_run_stop_rm_yields_create_start_die_destroy_in_order(portside: Portside) -> None:
    since = time.time()
    cid = portside("run", "-d", "--name", "web", "-l", "tier=front", "busybox", "sleep", "60")
    cid_text = cid.stdout.strip()
    portside("stop", "-t", "1", "web")
    portside("rm", "web")
    lines = events(portside, since, "--filter", "type=container")
    got = [a for t, a in actions(lines)]
    assert [a for a in got if a in ("create", "start", "die", "destroy")] == [
        "create",
        "start",
        "die",
        "destroy",
    ]
    assert "kill" in got and "stop" in got
    die = next(line for line in lines if " container die " in line)
    assert cid_text in die
    assert "exitCode=" in die and "name=web" in die and "image=busybox" in die
    assert "tier=front" in die  # the container's labels are attributes too
    # Docker's line: a fixed nine-digit nanosecond UTC time first
    stamp = die.split()[0]
    assert stamp.endswith("Z") and len(stamp.split(".")[1]) == 10


def test_filters_event_and_type(portside: Portside) -> None:
    since = time.time()
    portside("run", "--name", "once", "busybox", "true")
    portside("tag", "busybox", "mytag:1")
    portside("rmi", "mytag:1")
    dies = events(portside, since, "--filter", "event=die")
    assert actions(dies) == [("container", "die")]
    assert "exitCode=0" in dies[0]
    images = actions(events(portside, since, "--filter", "type=image"))
    assert images == [("image", "tag"), ("image", "untag")]
    both = events(portside, since, "-f", "event=tag", "-f", "event=create")
    assert sorted(a for _, a in actions(both)) == ["create", "tag"]
    named = events(portside, since, "--filter", "container=once", "--filter", "event=start")
    assert actions(named) == [("container", "start")]
    assert events(portside, since, "--filter", "image=mytag:1", "--filter", "type=image")
    r = portside("events", "--since", "1", "--until", "2", "--filter", "bogus=1", check=False)
    assert r.returncode != 0 and "Invalid filter 'bogus'" in r.stderr


def test_format_json_has_dockers_keys(portside: Portside) -> None:
    since = time.time()
    portside("create", "--name", "c1", "busybox", "true")
    lines = events(portside, since, "--format", "{{json .}}")
    message = json.loads(lines[0])
    assert list(message) == [
        "status",
        "id",
        "from",
        "Type",
        "Action",
        "Actor",
        "scope",
        "time",
        "timeNano",
    ]
    assert message["Type"] == "container" and message["Action"] == "create"
    assert message["status"] == "create" and message["from"] == "busybox"
    assert message["Actor"]["Attributes"]["name"] == "c1"
    assert message["scope"] == "local"
    assert message["time"] == message["timeNano"] // 10**9
    fields = events(portside, since, "--format", "{{.Type}} {{.Status}} {{.Actor.Attributes.name}}")
    assert fields == ["container create c1"]


def test_a_container_dying_with_no_command_running_is_recorded(portside: Portside) -> None:
    since = time.time()
    portside("run", "-d", "--name", "short", "busybox", "sh", "-c", "sleep 1; exit 5")
    # no portside command runs while it ends: only conmon's exit hook can record it
    deadline = time.time() + 20
    lines: list[str] = []
    while time.time() < deadline:
        lines = events(portside, since, "--filter", "event=die")
        if lines:
            break
        time.sleep(0.3)
    assert len(lines) == 1 and "exitCode=5" in lines[0] and "name=short" in lines[0]


def test_rm_flag_writes_destroy_after_die(portside: Portside) -> None:
    since = time.time()
    portside("run", "--rm", "busybox", "sh", "-c", "exit 3", check=False)
    deadline = time.time() + 20
    got: list[str] = []
    while time.time() < deadline and "destroy" not in got:
        got = [a for _, a in actions(events(portside, since))]
        time.sleep(0.2)
    assert got[-2:] == ["die", "destroy"]


def test_events_follows_until_terminated(portside: Portside) -> None:
    env = {**os.environ, **OFFLINE}
    follower = subprocess.Popen(
        portside.argv("events", "--filter", "type=volume"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        time.sleep(1.0)  # started, and waiting for what comes after
        portside("volume", "create", "followed")
        assert follower.stdout is not None
        os.set_blocking(follower.stdout.fileno(), False)
        deadline = time.time() + 10
        out = b""
        while time.time() < deadline and b"\n" not in out:
            out += follower.stdout.read() or b""
            time.sleep(0.1)
        assert b" volume create followed " in out + b" "
        assert follower.poll() is None  # still following
    finally:
        follower.send_signal(signal.SIGTERM)
        follower.wait(10)
        portside("volume", "rm", "-f", "followed", check=False)


def test_the_journal_stays_bounded(portside: Portside, store_root: Path) -> None:
    from portside.config import Settings
    from portside.engine import Engine
    from portside.engine.events import record
    from portside.store.events import CAP, EventTable

    portside("volume", "create", "first")  # makes the store
    engine = Engine(Settings(root=store_root, runroot=portside.runroot))
    try:
        for n in range(CAP + 50):
            record(engine.store, "volume", "create", f"v{n}", {"driver": "local"})
        table = EventTable(engine.store.meta.conn)
        assert table.count() == CAP
        newest = table.after(0)
        assert newest[0].actor_id == "v50" and newest[-1].actor_id == f"v{CAP + 49}"
    finally:
        engine.close()
    portside("volume", "rm", "first")


def test_networks_volumes_and_execs_leave_events(portside: Portside) -> None:
    since = time.time()
    portside("network", "create", "evnet")
    portside("volume", "create", "evvol")
    portside("run", "-d", "--name", "evc", "-v", "evvol:/data", "busybox", "sleep", "60")
    portside("network", "connect", "evnet", "evc")
    portside("exec", "evc", "true")
    portside("network", "disconnect", "evnet", "evc")
    portside("rm", "-f", "evc")
    portside("network", "rm", "evnet")
    portside("volume", "rm", "evvol")
    nets = actions(events(portside, since, "--filter", "network=evnet"))
    assert nets == [
        ("network", "create"),
        ("network", "connect"),
        ("network", "disconnect"),
        ("network", "destroy"),
    ]
    vols = actions(events(portside, since, "--filter", "type=volume"))
    assert vols == [("volume", "create"), ("volume", "mount"), ("volume", "destroy")]
    mount = events(portside, since, "--filter", "event=mount")[0]
    assert "destination=/data" in mount and "read/write=true" in mount
    execs = events(portside, since, "--filter", "container=evc", "--filter", "event=exec_start")
    assert len(execs) == 1 and "exec_start: true" in execs[0]
    died = events(portside, since, "--filter", "container=evc", "--filter", "event=exec_die")
    assert len(died) == 1 and "exitCode=0" in died[0]


def test_each_start_connects_and_each_stop_disconnects(portside: Portside) -> None:
    since = time.time()
    cid = portside("run", "-d", "--name", "cyc", "busybox", "sleep", "60").stdout.strip()
    portside("stop", "-t", "0", "cyc")
    portside("start", "cyc")
    portside("rm", "-f", "cyc")
    lines = events(portside, since, "--filter", "network=bridge")
    assert [a for _, a in actions(lines)] == ["connect", "disconnect"] * 2
    assert all(f"container={cid}" in line for line in lines)


_APPENDER = """
import sqlite3, sys
from portside.store.events import EventTable
conn = sqlite3.connect(sys.argv[1], timeout=60, isolation_level=None)
table = EventTable(conn)
for n in range(100):
    table.append("volume", "create", f"{sys.argv[2]}-{n}", {})
"""


def test_several_processes_append_at_once(portside: Portside, store_root: Path) -> None:
    """No store lock held: SQLite's own write lock keeps every event, once."""
    portside("volume", "create", "first")  # makes the store
    db = store_root / "metadata.db"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    writers = [
        subprocess.Popen([sys.executable, "-c", _APPENDER, str(db), f"w{i}"], env=env)
        for i in range(4)
    ]
    assert [w.wait(60) for w in writers] == [0, 0, 0, 0]
    from portside.store.events import EventTable

    conn = sqlite3.connect(db)
    try:
        rows = EventTable(conn).after(0)
    finally:
        conn.close()
    written = [r.actor_id for r in rows if r.actor_id.startswith("w")]
    assert len(written) == len(set(written)) == 400
    for i in range(4):  # each writer's own order kept
        mine = [int(a.split("-")[1]) for a in written if a.startswith(f"w{i}-")]
        assert mine == list(range(100))
    portside("volume", "rm", "first")


def test_push_and_pull_are_image_events(portside: Portside, tmp_path: Path) -> None:
    (tmp_path / "registry").mkdir()
    with serve(tmp_path / "registry") as registry:
        name = f"{registry}/team/busybox:1"
        portside("tag", "busybox", name)
        since = time.time()
        portside("push", name)
        portside("rmi", name)
        portside("pull", name)
        lines = events(portside, since, "--filter", "type=image")
    # rmi untags the name and, with the repository's last tag, its digest reference
    assert [a for _, a in actions(lines)] == ["push", "untag", "untag", "pull"]
    assert lines[0].split()[3] == name and f"name={registry}/team/busybox" in lines[0]
    assert lines[-1].split()[3] == name


def test_restart_has_one_die_and_the_container_keeps_running(portside: Portside) -> None:
    """The first run's exit hook can come after the restart's start: it must not take
    the new run for dead (a second die, exit code 255, the new run killed)."""
    portside("run", "-d", "--name", "again", "busybox", "sleep", "60")
    since = time.time()
    for _ in range(4):
        portside("restart", "-t", "0", "again")
    time.sleep(1.0)  # the last run's predecessor's hook has run by now
    status = json.loads(portside("inspect", "again").stdout)[0]["State"]["Status"]
    dies = events(portside, since, "--filter", "event=die")
    portside("rm", "-f", "again")
    assert status == "running"
    codes = [d.split("exitCode=")[1].split(",")[0] for d in dies]
    assert codes == ["137"] * 4


def test_commit_is_a_container_event_and_until_alone_shows_the_past(
    portside: Portside,
) -> None:
    portside("create", "--name", "src", "busybox", "true")
    portside("update", "--restart", "on-failure", "src")
    image_id = portside("commit", "-m", "snap", "src", "snap:1").stdout.strip()
    until = f"{time.time() + 0.001:.6f}"
    lines = portside("events", "--until", until, "--filter", "event=commit").stdout
    assert len(lines.splitlines()) == 1
    assert f"imageID={image_id}" in lines and "comment=snap" in lines and "name=src" in lines
    everything = portside("events", "--until", until).stdout.splitlines()
    assert [a for _, a in actions(everything)][:3] == ["import", "create", "update"]
    portside("rm", "src")


def test_the_library_reads_events_as_docker_py_does(portside: Portside, store_root: Path) -> None:
    import portside as ps_lib

    since = time.time()
    client = ps_lib.Client(root=store_root, runroot=portside.runroot)
    try:
        client.volumes.create("libvol")  # written by the engine, whichever front end
        until = time.time() + 0.001
        got = list(client.events(since=since, until=until, filters={"type": "volume"}, decode=True))
        raw = list(client.events(since=since, until=until))
    finally:
        client.close()
    assert [(m["Type"], m["Action"], m["Actor"]["ID"]) for m in got] == [
        ("volume", "create", "libvol")
    ]
    assert json.loads(raw[0])["Actor"]["ID"] == "libvol"
    portside("volume", "rm", "libvol")
