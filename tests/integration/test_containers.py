"""Containers on the busybox base image through runc and conmon: the lifecycle a user sees."""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path

import pytest

from ..conftest import Portside

pytestmark = pytest.mark.usefixtures("busybox")


def state(portside: Portside, ref: str) -> dict:
    return json.loads(portside("inspect", ref).stdout)[0]["State"]


def test_attached_run_streams_output_and_returns_the_exit_code(portside: Portside) -> None:
    r = portside("run", "busybox", "sh", "-c", "echo to-out; echo to-err >&2; exit 3", check=False)
    assert r.returncode == 3
    assert r.stdout == "to-out\n"
    assert r.stderr == "to-err\n"
    assert portside("run", "--rm", "busybox", "true").returncode == 0


def test_exit_codes_of_the_engine_and_of_exec(portside: Portside) -> None:
    r = portside("run", "--rm", "--pull", "never", "nosuchimage", check=False)  # no Docker Hub
    assert r.returncode == 125
    assert "Unable to find image 'nosuchimage:latest' locally" in r.stderr
    r = portside("run", "--rm", "busybox", "nosuchcommand", check=False)
    assert r.returncode == 127 and "executable file not found" in r.stderr
    r = portside("run", "--rm", "busybox", "/etc/passwd", check=False)
    assert r.returncode == 126 and "permission denied" in r.stderr
    r = portside("run", "--restart", "sometimes", "busybox", check=False)
    assert r.returncode == 125 and "invalid restart policy" in r.stderr
    assert portside("run", "--bogus", "busybox", check=False).returncode == 125
    assert portside("ps", "-aq").stdout == ""  # --rm removed the failed ones too


def test_detached_lifecycle_ps_logs_stop_start_rm(portside: Portside) -> None:
    cid = portside(
        "run",
        "-d",
        "--name",
        "web",
        "busybox",
        "sh",
        "-c",
        "trap 'echo bye; exit 0' TERM; echo hello; while true; do sleep 0.1; done",
    ).stdout.strip()
    assert re.fullmatch(r"[0-9a-f]{64}", cid)
    ps = portside("ps").stdout.splitlines()
    assert ps[0].split() == [
        "CONTAINER",
        "ID",
        "IMAGE",
        "COMMAND",
        "CREATED",
        "STATUS",
        "PORTS",
        "NAMES",
    ]
    assert ps[1].startswith(cid[:12]) and " Up " in ps[1] and ps[1].endswith("web")
    deadline = time.time() + 10
    while "hello" not in portside("logs", "web").stdout and time.time() < deadline:
        time.sleep(0.05)
    assert portside("logs", "web").stdout == "hello\n"
    info = state(portside, "web")
    assert info["Running"] is True and info["Pid"] > 0 and info["Status"] == "running"
    assert portside("stop", "web").stdout == "web\n"
    info = state(portside, "web")
    assert info["Status"] == "exited" and info["ExitCode"] == 0 and info["Running"] is False
    assert portside("logs", "web").stdout == "hello\nbye\n"
    assert re.search(r"Exited \(0\) .* ago", portside("ps", "-a").stdout)
    assert portside("ps", "-q").stdout == ""
    portside("start", "web")
    assert state(portside, "web")["Status"] == "running"
    refused = portside("rm", "web", check=False)
    assert refused.returncode == 1 and "You cannot remove a running container" in refused.stderr
    assert portside("rm", "-f", "web").stdout == "web\n"
    assert portside("ps", "-aq").stdout == ""
    assert not (portside.root / "containers" / cid).exists()


def test_stop_times_out_to_sigkill(portside: Portside) -> None:
    portside("run", "-d", "--name", "stubborn", "busybox", "sleep", "100")
    start = time.monotonic()
    portside("stop", "-t", "1", "stubborn")
    elapsed = time.monotonic() - start
    assert 1.0 <= elapsed < 8
    assert state(portside, "stubborn")["ExitCode"] == 137


def test_rm_removes_detached_containers_when_they_exit(portside: Portside) -> None:
    cid = portside("run", "-d", "--rm", "busybox", "sh", "-c", "sleep 0.3").stdout.strip()
    assert portside("wait", cid).stdout == "0\n"
    deadline = time.time() + 10
    while portside("ps", "-aq").stdout and time.time() < deadline:
        time.sleep(0.1)
    assert portside("ps", "-aq").stdout == ""
    assert not (portside.root / "containers" / cid).exists()


def test_an_rm_container_is_volatile_and_starts_again_after_a_failed_start(
    portside: Portside,
) -> None:
    """--rm's overlay is mounted volatile (no sync at its unmount, as Podman does); the
    kernel's marker of that mount must not make a second start fail differently."""
    cid = portside("run", "-d", "--rm", "busybox", "sleep", "30").stdout.strip()
    with open("/proc/self/mounts") as f:
        mine = [line for line in f if f"{cid}/merged " in line]
    options = mine[0].split()[3].split(",") if len(mine) == 1 else []
    assert "volatile" in options or "fsync=volatile" in options, mine  # 6.12+ shows the latter
    portside("rm", "-f", cid)
    cid = portside("create", "--rm", "busybox", "nosuchcommand").stdout.strip()
    for _ in range(2):
        r = portside("start", cid, check=False)
        assert r.returncode != 0 and "nosuchcommand" in r.stderr, r.stderr
    portside("rm", cid)


def test_create_start_attach_and_wait(portside: Portside) -> None:
    cid = portside(
        "create", "--name", "c1", "busybox", "sh", "-c", "echo once; exit 4"
    ).stdout.strip()
    assert state(portside, "c1")["Status"] == "created"
    assert "Created" in portside("ps", "-a").stdout
    r = portside("start", "-a", "c1", check=False)
    assert r.returncode == 4 and r.stdout == "once\n"
    assert portside("wait", cid[:8]).stdout == "4\n"


def test_config_flags_reach_the_process(portside: Portside, tmp_path: Path) -> None:
    env_file = tmp_path / "env"
    env_file.write_text("# comment\nFROM_FILE=yes\n\n")
    out = portside(
        "run",
        "--rm",
        "-e",
        "A=1",
        "--env-file",
        str(env_file),
        "-w",
        "/work/dir",
        "-u",
        "nobody",
        "-h",
        "myhost",
        "busybox",
        "sh",
        "-c",
        'echo "$A $FROM_FILE $(pwd) $(id -u) $(hostname) $HOSTNAME"',
    ).stdout
    assert out == "1 yes /work/dir 65534 myhost myhost\n"
    out = portside("run", "--rm", "--entrypoint", "echo", "busybox", "from", "entrypoint").stdout
    assert out == "from entrypoint\n"
    assert portside("run", "--rm", "busybox", "cat", "/etc/hostname", "-").stdout.strip()
    bad = portside("run", "--rm", "--env-file", str(tmp_path / "none"), "busybox", check=False)
    assert bad.returncode == 125 and "no such file" in bad.stderr


def test_name_conflict_and_rename(portside: Portside) -> None:
    first = portside("create", "--name", "dup", "busybox").stdout.strip()
    r = portside("create", "--name", "dup", "busybox", check=False)
    assert r.returncode == 125
    assert f'The container name "/dup" is already in use by container "{first}"' in r.stderr
    portside("rename", "dup", "renamed")
    assert json.loads(portside("inspect", "renamed").stdout)[0]["Name"] == "/renamed"
    bad = portside("create", "--name", "bad name!", "busybox", check=False)
    assert bad.returncode == 125 and "Invalid container name" in bad.stderr


def test_inspect_has_docker_fields(portside: Portside) -> None:
    portside(
        "run", "--name", "insp", "-l", "tier=web", "busybox", "sh", "-c", "exit 2", check=False
    )
    info = json.loads(portside("inspect", "insp").stdout)[0]
    for key in (
        "Id",
        "Created",
        "Path",
        "Args",
        "State",
        "Image",
        "Name",
        "RestartCount",
        "Config",
        "HostConfig",
        "Mounts",
        "NetworkSettings",
    ):
        assert key in info
    for key in (
        "Status",
        "Running",
        "Paused",
        "Restarting",
        "OOMKilled",
        "Pid",
        "ExitCode",
        "Error",
        "StartedAt",
        "FinishedAt",
    ):
        assert key in info["State"]
    assert info["Path"] == "sh" and info["Args"] == ["-c", "exit 2"]
    assert info["State"]["ExitCode"] == 2
    assert info["Config"]["Labels"] == {"tier": "web"}
    assert portside("inspect", "-f", "{{.State.ExitCode}} {{.Name}}", "insp").stdout == "2 /insp\n"
    assert portside("container", "inspect", "-f", "{{.Config.Image}}", "insp").stdout == "busybox\n"


def test_logs_keep_streams_apart_with_timestamps_and_tail(portside: Portside) -> None:
    portside(
        "run",
        "--name",
        "lg",
        "busybox",
        "sh",
        "-c",
        "for i in 1 2 3; do echo out$i; echo err$i >&2; done",
    )
    r = portside("logs", "lg")
    assert r.stdout == "out1\nout2\nout3\n" and r.stderr == "err1\nerr2\nerr3\n"
    portside("run", "--name", "seq", "busybox", "seq", "1", "5")
    assert portside("logs", "--tail", "2", "seq").stdout == "4\n5\n"
    assert portside("logs", "--tail", "0", "seq").stdout == ""
    stamped = portside("logs", "-t", "lg").stdout.splitlines()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z out1", stamped[0])
    assert portside("logs", "--since", "1h", "lg").stdout == "out1\nout2\nout3\n"
    assert portside("logs", "--until", "1h", "lg").stdout == ""


def test_logs_follow_sees_lines_as_they_come(portside: Portside) -> None:
    # the second line is written only once the follower has shown the first: no timing
    script = "echo tick1; while [ ! -e /tmp/go ]; do sleep 0.05; done; echo tick2"
    portside("run", "-d", "--name", "ticker", "busybox", "sh", "-c", script)
    proc = subprocess.Popen(
        portside.argv("logs", "-f", "ticker"), stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    assert proc.stdout.readline() == "tick1\n"
    assert proc.poll() is None  # still following
    portside("exec", "ticker", "touch", "/tmp/go")
    assert proc.stdout.readline() == "tick2\n"
    proc.wait(timeout=20)  # and it ends with the container
    assert proc.returncode == 0


def test_restart_on_failure_stops_after_the_limit(portside: Portside) -> None:
    portside(
        "run",
        "-d",
        "--name",
        "flaky",
        "--restart",
        "on-failure:2",
        "busybox",
        "sh",
        "-c",
        "echo run; exit 1",
    )
    deadline = time.time() + 20
    while time.time() < deadline:
        info = json.loads(portside("inspect", "flaky").stdout)[0]
        if info["State"]["Status"] == "exited" and info["RestartCount"] == 2:
            break
        time.sleep(0.2)
    assert info["RestartCount"] == 2 and info["State"]["ExitCode"] == 1
    time.sleep(0.5)
    assert json.loads(portside("inspect", "flaky").stdout)[0]["RestartCount"] == 2
    assert portside("logs", "flaky").stdout == "run\nrun\nrun\n"


def test_kill_pause_unpause(portside: Portside) -> None:
    portside("run", "-d", "--name", "kp", "busybox", "sleep", "100")
    portside("pause", "kp")
    assert state(portside, "kp")["Paused"] is True
    assert "(Paused)" in portside("ps").stdout
    portside("unpause", "kp")
    assert state(portside, "kp")["Status"] == "running"
    assert portside("kill", "-s", "TERM", "kp").stdout == "kp\n"  # sleep as PID 1 ignores TERM
    assert state(portside, "kp")["Status"] == "running"
    portside("kill", "kp")
    assert portside("wait", "kp").stdout == "137\n"
    r = portside("kill", "kp", check=False)
    assert r.returncode == 1 and "is not running" in r.stderr
    r = portside("kill", "-s", "NOPE", "kp", check=False)
    assert r.returncode == 1 and "Invalid signal: NOPE" in r.stderr


def test_kill_returns_once_the_container_is_down(portside: Portside) -> None:
    for name, paused in (("k1", False), ("k2", True)):
        portside("run", "-d", "--name", name, "busybox", "sleep", "100")
        if paused:
            portside("pause", name)
        portside("kill", name)
        after = state(portside, name)  # no wait: kill itself waited, as Docker's does
        assert (after["Running"], after["Paused"], after["ExitCode"]) == (False, False, 137)
        assert after["Status"] == "exited"


def test_ps_filters_and_formats(portside: Portside) -> None:
    portside("run", "--name", "ok", "-l", "app=a", "busybox", "true")
    portside("run", "--name", "bad", "busybox", "sh", "-c", "exit 9", check=False)
    portside("run", "-d", "--name", "live", "busybox", "sleep", "100")
    fmt = ["--format", "{{.Names}}"]
    assert portside("ps", *fmt).stdout == "live\n"
    assert sorted(portside("ps", "-a", *fmt).stdout.split()) == ["bad", "live", "ok"]
    assert portside("ps", "-a", "-f", "exited=9", *fmt).stdout == "bad\n"
    assert portside("ps", "-a", "-f", "label=app=a", *fmt).stdout == "ok\n"
    assert portside("ps", "-a", "-f", "status=running", *fmt).stdout == "live\n"
    assert portside("ps", "-a", "-f", "name=o", *fmt).stdout == "ok\n"
    assert sorted(portside("ps", "-a", "-f", "ancestor=busybox", *fmt).stdout.split()) == [
        "bad",
        "live",
        "ok",
    ]
    assert portside("ps", "-l", *fmt).stdout == "live\n"
    assert len(portside("ps", "-a", "-n", "2", "-q").stdout.split()) == 2
    assert len(portside("ps", "-aq", "--no-trunc").stdout.split()[0]) == 64
    out = portside("container", "prune", "-f").stdout
    assert "Deleted Containers:" in out
    assert portside("ps", "-a", *fmt).stdout == "live\n"


def test_image_in_use_cannot_be_removed(portside: Portside, busybox: str) -> None:
    portside("create", "--name", "user", "busybox")
    r = portside("rmi", "busybox", check=False)
    assert (
        r.returncode == 1
        and "must force" in r.stderr
        and "is using its referenced image" in r.stderr
    )
    r = portside("rmi", busybox, check=False)
    assert r.returncode == 1 and "being used by stopped container" in r.stderr
    assert "busybox" in portside("images").stdout
    assert "deleted" not in portside("image", "prune", "-a", "-f").stdout


def test_security_defaults(portside: Portside) -> None:
    caps = portside("run", "--rm", "busybox", "grep", "CapEff", "/proc/self/status").stdout.split()[
        1
    ]
    assert caps == "00000000a80425fb"  # Docker's 14 default capabilities
    r = portside("run", "--rm", "busybox", "unshare", "-U", "true", check=False)
    assert r.returncode != 0  # seccomp denies user namespaces to unprivileged containers
    procs = portside("run", "--rm", "busybox", "ps", "-o", "pid").stdout.split()[1:]
    assert procs == ["1"]  # its own PID namespace: no host process is visible
    assert portside("run", "--rm", "busybox", "cat", "/proc/kcore", check=False).stdout == ""
    r = portside(
        "run",
        "--rm",
        "busybox",
        "sh",
        "-c",
        "echo 1 > /proc/sys/kernel/shm_rmid_forced",
        check=False,
    )
    assert r.returncode != 0  # /proc/sys is read-only
    dropped = portside(
        "run", "--rm", "--cap-drop", "ALL", "busybox", "chown", "1:1", "/tmp", check=False
    )
    assert dropped.returncode != 0
    priv = portside(
        "run", "--rm", "--privileged", "busybox", "grep", "CapEff", "/proc/self/status"
    ).stdout
    assert priv.split()[1] != caps
    bad = portside("run", "--rm", "--cap-add", "NOPE", "busybox", check=False)
    assert bad.returncode == 125 and "unknown capability" in bad.stderr


def test_killed_monitor_is_reconciled(portside: Portside) -> None:
    portside("run", "-d", "--name", "orphan", "busybox", "sleep", "100")
    userdata = next((portside.root / "containers").iterdir()) / "userdata"
    monitor_pid = int((userdata / "conmon.pid").read_text())
    container_pid = state(portside, "orphan")["Pid"]
    subprocess.run(["kill", "-9", str(monitor_pid)], check=True)
    time.sleep(0.2)
    assert portside("ps", "-q").stdout == ""  # never "running" forever
    info = state(portside, "orphan")
    assert info["Status"] == "exited" and info["Running"] is False
    assert (
        not Path(f"/proc/{container_pid}").exists()
        or "sleep" not in Path(f"/proc/{container_pid}/cmdline").read_text()
    )
