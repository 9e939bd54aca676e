"""Healthchecks that run (issue 21): probes from ``--health-*`` and the image's
HEALTHCHECK run in real containers with no portside command running, and inspect, ps,
ps --filter health= and the event journal show their results as Docker's do.

Timing: probes every second, and every wait allows tens of seconds, since other test
runs share these two cores."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ..conftest import Portside
from .test_api import Service, service  # noqa: F401 - the API server fixture

pytestmark = pytest.mark.usefixtures("busybox")

FAST = ("--health-interval", "1s")


def wait_for(what: Callable[[], Any], timeout: float = 60.0, step: float = 0.3) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = what()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout} s: {what}")
        time.sleep(step)


def health(portside: Portside, name: str) -> dict[str, Any] | None:
    state = json.loads(portside("inspect", "-f", "{{json .State}}", name).stdout)
    value: dict[str, Any] | None = state.get("Health")
    return value


def status_of(portside: Portside, name: str) -> str:
    h = health(portside, name)
    return h["Status"] if h else ""


def ps_status(portside: Portside, name: str) -> str:
    for line in portside("ps", "-a", "--format", "{{.Names}}\t{{.Status}}").stdout.splitlines():
        got, _, status = line.partition("\t")
        if got == name:
            return status
    raise AssertionError(f"{name} not in ps -a")


def processes() -> Iterator[tuple[int, bytes]]:
    """(PID, command line) of every process on the machine."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                yield int(entry.name), (entry / "cmdline").read_bytes()
            except OSError:
                continue


def probers(container_id: str) -> list[int]:
    """The PIDs of this container's prober (runtime/health.py), found in /proc: the
    shell loop leads its own session; its subshells have the same command line."""
    out = []
    for pid, cmdline in processes():
        if b"portside-health" not in cmdline or container_id.encode() not in cmdline:
            continue
        try:
            if os.getsid(pid) == pid:  # the session leader, not its short forks
                out.append(pid)
        except OSError:
            continue
    return out


def events(portside: Portside, since: float) -> list[str]:
    r = portside(
        "events",
        "--since",
        f"{since:.6f}",
        "--until",
        f"{time.time() + 0.001:.6f}",
        "--filter",
        "event=health_status",
    )
    return r.stdout.splitlines()


def test_turns_healthy_after_a_few_seconds(portside: Portside) -> None:
    since = time.time()
    cid = portside(
        "run",
        "-d",
        "--name",
        "web",
        "--health-cmd",
        "test -e /tmp/ready",
        *FAST,
        "busybox",
        "sh",
        "-c",
        "sleep 3; touch /tmp/ready; exec sleep 600",
    ).stdout.strip()
    assert "(health: starting)" in ps_status(portside, "web")
    assert status_of(portside, "web") == "starting"
    wait_for(lambda: status_of(portside, "web") == "healthy")
    h = health(portside, "web")
    assert h is not None and h["FailingStreak"] == 0
    assert h["Log"][-1]["ExitCode"] == 0
    assert {"Start", "End", "ExitCode", "Output"} <= set(h["Log"][-1])
    assert h["Log"][-1]["Start"].endswith("Z") and h["Log"][-1]["End"] >= h["Log"][-1]["Start"]
    assert len(h["Log"]) <= 5
    assert ps_status(portside, "web").strip().endswith("(healthy)")
    config = json.loads(portside("inspect", "-f", "{{json .Config.Healthcheck}}", "web").stdout)
    assert config == {"Test": ["CMD-SHELL", "test -e /tmp/ready"], "Interval": 1_000_000_000}
    lines = events(portside, since)
    assert any("health_status: healthy" in line and cid in line for line in lines), lines
    assert not any("unhealthy" in line for line in lines)  # failures while starting: none


def test_unhealthy_after_retries_with_output(portside: Portside) -> None:
    since = time.time()
    portside(
        "run",
        "-d",
        "--name",
        "sick",
        "--health-cmd",
        "echo not yet; exit 1",
        *FAST,
        "--health-retries",
        "2",
        "busybox",
        "sleep",
        "600",
    )
    portside("run", "-d", "--name", "plain", "busybox", "sleep", "600")
    wait_for(lambda: status_of(portside, "sick") == "unhealthy")
    h = health(portside, "sick")
    assert h is not None and h["FailingStreak"] >= 2
    assert h["Log"][-1]["ExitCode"] == 1 and h["Log"][-1]["Output"] == "not yet\n"
    assert ps_status(portside, "sick").strip().endswith("(unhealthy)")

    def names(value: str) -> set[str]:
        r = portside("ps", "--filter", f"health={value}", "--format", "{{.Names}}")
        return set(r.stdout.split())

    assert names("unhealthy") == {"sick"}
    assert names("healthy") == set() and names("starting") == set()
    assert names("none") == {"plain"}
    bad = portside("ps", "--filter", "health=fine", check=False)
    assert bad.returncode != 0 and "Unrecognised filter value for health: fine" in bad.stderr
    assert health(portside, "plain") is None  # no healthcheck: no State.Health
    lines = events(portside, since)
    assert [line.split()[3] for line in lines] == ["unhealthy"], lines  # one change, once


def test_a_hanging_probe_is_killed_at_its_timeout(portside: Portside) -> None:
    portside(
        "run",
        "-d",
        "--name",
        "hang",
        "--health-cmd",
        "sleep 97",
        *FAST,
        "--health-timeout",
        "1s",
        "--health-retries",
        "1",
        "busybox",
        "sleep",
        "600",
    )
    wait_for(lambda: status_of(portside, "hang") == "unhealthy")
    h = health(portside, "hang")
    assert h is not None
    first = h["Log"][0]
    assert first["ExitCode"] == -1
    assert first["Output"] == "Health check exceeded timeout (1s)"
    took = _seconds(first["End"]) - _seconds(first["Start"])
    assert 0.9 < took < 15, took
    # killed, not left behind in the container: at most the probe running right now
    top = portside("top", "hang").stdout
    commands = [line.split(None, 7)[-1] for line in top.splitlines()[1:]]
    assert commands.count("sleep 97") <= 1, top


def _seconds(stamp: str) -> float:
    from portside.timefmt import parse_rfc3339

    return parse_rfc3339(stamp)


def test_failures_within_the_start_period_do_not_count(portside: Portside) -> None:
    portside(
        "run",
        "-d",
        "--name",
        "slow",
        "--health-cmd",
        "exit 1",
        *FAST,
        "--health-retries",
        "1",
        "--health-start-period",
        "1h",
        "--health-start-interval",
        "1s",
        "busybox",
        "sleep",
        "600",
    )
    portside(
        "run",
        "-d",
        "--name",
        "short",
        "--health-cmd",
        "exit 1",
        *FAST,
        "--health-retries",
        "1",
        "--health-start-period",
        "3s",
        "busybox",
        "sleep",
        "600",
    )
    wait_for(lambda: len((health(portside, "slow") or {}).get("Log") or []) >= 3)
    h = health(portside, "slow")
    assert h is not None and h["Status"] == "starting" and h["FailingStreak"] == 0
    assert all(p["ExitCode"] == 1 for p in h["Log"])
    assert "(health: starting)" in ps_status(portside, "slow")
    wait_for(lambda: status_of(portside, "short") == "unhealthy")
    short = health(portside, "short")
    assert short is not None and short["FailingStreak"] >= 1


def test_image_healthcheck_and_no_healthcheck(portside: Portside, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(
        "FROM busybox\nHEALTHCHECK --interval=1s --retries=4 CMD true\nCMD sleep 600\n"
    )
    portside("build", "-q", "-t", "probed", str(tmp_path))
    portside("run", "-d", "--name", "fromimage", "probed")
    portside("run", "-d", "--name", "merged", "--health-retries", "7", "probed")
    cid = portside("run", "-d", "--name", "off", "--no-healthcheck", "probed").stdout.strip()
    wait_for(lambda: status_of(portside, "fromimage") == "healthy")

    def config(name: str) -> Any:
        return json.loads(portside("inspect", "-f", "{{json .Config.Healthcheck}}", name).stdout)

    assert config("fromimage") == {
        "Test": ["CMD-SHELL", "true"],
        "Interval": 1_000_000_000,
        "Retries": 4,
    }
    assert config("merged")["Retries"] == 7 and config("merged")["Test"] == ["CMD-SHELL", "true"]
    assert config("off")["Test"] == ["NONE"]  # the rest merged from the image, as Docker
    assert health(portside, "off") is None
    assert "(" not in ps_status(portside, "off")
    assert probers(cid) == []
    r = portside("ps", "--filter", "health=none", "--format", "{{.Names}}")
    assert r.stdout.split() == ["off"]


def test_flags_refused_as_docker_refuses_them(portside: Portside) -> None:
    for flags, words in (
        (["--no-healthcheck", "--health-cmd", "true"], "--no-healthcheck conflicts with"),
        (["--health-interval=-1s"], "--health-interval cannot be negative"),
        (["--health-retries", "-1"], "--health-retries cannot be negative"),
        (["--health-timeout", "1us"], "Timeout in Healthcheck cannot be less than 1ms"),
        (["--health-interval", "soon"], 'invalid argument "soon" for "--health-interval"'),
    ):
        r = portside("run", "--rm", *flags, "busybox", "true", check=False)
        assert r.returncode == 125 and words in r.stderr, (flags, r.stderr)


def test_probes_run_with_no_portside_process(portside: Portside) -> None:
    cid = portside(
        "run", "-d", "--name", "alone", "--health-cmd", "true", *FAST, "busybox", "sleep", "600"
    ).stdout.strip()
    wait_for(lambda: status_of(portside, "alone") == "healthy")
    before = health(portside, "alone")
    assert before is not None
    start = len(before["Log"]), before["Log"][-1]["End"]
    # between probes nothing of portside's runs for this store but conmon and the prober
    python_here = []
    for _ in range(10):
        time.sleep(0.4)
        for _, cmdline in processes():
            argv0 = cmdline.split(b"\0")[0].rsplit(b"/", 1)[-1]
            if str(portside.root).encode() in cmdline and argv0.startswith(b"python"):
                python_here.append(cmdline)
    assert python_here == []
    after = health(portside, "alone")
    assert after is not None and after["Status"] == "healthy"
    assert (len(after["Log"]), after["Log"][-1]["End"]) != start  # probed meanwhile
    assert len(probers(cid)) == 1


def test_prober_ends_with_the_container_and_starts_with_it(portside: Portside) -> None:
    cid = portside(
        "run",
        "-d",
        "--name",
        "cycle",
        "--health-cmd",
        "true",
        *FAST,
        "busybox",
        "sh",
        "-c",
        "trap exit TERM; sleep 600 & wait",
    ).stdout.strip()
    (first,) = wait_for(lambda: probers(cid))
    wait_for(lambda: status_of(portside, "cycle") == "healthy")
    portside("stop", "cycle")
    assert probers(cid) == []
    assert ps_status(portside, "cycle").startswith("Exited")
    portside("start", "cycle")
    (second,) = wait_for(lambda: probers(cid))
    assert second != first
    assert status_of(portside, "cycle") == "starting"  # a new run starts over
    portside("restart", "-t", "1", "cycle")
    (third,) = wait_for(lambda: probers(cid))
    assert third != second
    wait_for(lambda: status_of(portside, "cycle") == "healthy")
    portside("kill", "cycle")
    assert probers(cid) == []
    portside("start", "cycle")
    wait_for(lambda: probers(cid))
    portside("rm", "-f", "cycle")
    assert probers(cid) == []


def test_container_that_exits_by_itself_takes_its_prober(portside: Portside) -> None:
    cid = portside(
        "run",
        "-d",
        "--name",
        "brief",
        "--health-cmd",
        "true",
        *FAST,
        "busybox",
        "sleep",
        "3",
    ).stdout.strip()
    wait_for(lambda: probers(cid))
    wait_for(lambda: ps_status(portside, "brief").startswith("Exited"))
    wait_for(lambda: probers(cid) == [], timeout=20)


def test_library_healthcheck_as_docker_py_spells_it(portside: Portside) -> None:
    import portside as ps_lib

    with ps_lib.Client(root=portside.root, runroot=portside.runroot) as client:
        c = client.containers.run(
            "busybox",
            "sleep 600",
            detach=True,
            healthcheck={"test": ["CMD", "true"], "interval": 1_000_000_000, "retries": 2},
        )
        assert c.attrs["Config"]["Healthcheck"] == {
            "Test": ["CMD", "true"],
            "Interval": 1_000_000_000,
            "Retries": 2,
        }

        def healthy() -> bool:
            c.reload()
            return c.health == "healthy"

        wait_for(healthy)
        assert [x.id for x in client.containers.list(filters={"health": "healthy"})] == [c.id]
        plain = client.containers.run("busybox", "sleep 600", detach=True)
        assert plain.health == "unknown"


def test_engine_api_shows_health(service: Service) -> None:  # noqa: F811 - the fixture
    docker = pytest.importorskip("docker")
    client = docker.DockerClient(base_url=service.uri)
    try:
        c = client.containers.run(
            "busybox",
            "sleep 600",
            detach=True,
            healthcheck={"test": "exit 3", "interval": 1_000_000_000, "retries": 1},
        )

        def unhealthy() -> bool:
            state = client.api.inspect_container(c.id)["State"]
            return bool(state.get("Health", {}).get("Status") == "unhealthy")

        wait_for(unhealthy)
        state = client.api.inspect_container(c.id)["State"]
        assert state["Health"]["FailingStreak"] >= 1
        assert state["Health"]["Log"][-1]["ExitCode"] == 3
        (listed,) = client.api.containers(filters={"health": "unhealthy"})
        assert listed["Id"] == c.id and listed["Status"].endswith("(unhealthy)")
        assert client.api.inspect_container(c.id)["Config"]["Healthcheck"]["Test"] == [
            "CMD-SHELL",
            "exit 3",
        ]
    finally:
        client.close()


def test_a_paused_container_is_not_probed(portside: Portside) -> None:
    portside("run", "-d", "--name", "nap", "--health-cmd", "true", *FAST, "busybox", "sleep", "600")

    def last_end() -> str:
        h = health(portside, "nap")
        return str(h["Log"][-1]["End"]) if h and h["Log"] else ""

    wait_for(last_end)
    portside("pause", "nap")
    time.sleep(1.5)  # a probe under way when it froze may still end
    frozen = last_end()
    time.sleep(3)
    assert last_end() == frozen
    portside("unpause", "nap")
    wait_for(lambda: last_end() != frozen)


def test_probes_have_an_execs_isolation(portside: Portside) -> None:
    """The probe runs as the container's user, with its capabilities and seccomp."""
    probe = "id -u; grep -E '^(CapEff|Seccomp|NoNewPrivs):' /proc/self/status"
    portside(
        "run",
        "-d",
        "--name",
        "iso",
        "--user",
        "1000",
        "--cap-drop",
        "ALL",
        "--security-opt",
        "no-new-privileges",
        "--health-cmd",
        probe,
        *FAST,
        "busybox",
        "sleep",
        "600",
    )
    wait_for(lambda: status_of(portside, "iso") == "healthy")
    h = health(portside, "iso")
    assert h is not None
    out = h["Log"][-1]["Output"]
    assert out.splitlines()[0] == "1000"
    assert "CapEff:\t0000000000000000" in out
    assert "Seccomp:\t2" in out and "NoNewPrivs:\t1" in out


def test_an_image_without_a_shell_is_probed_through_runc_exec(
    portside: Portside, tmp_path: Path
) -> None:
    (tmp_path / "Dockerfile").write_text(
        'FROM busybox\nRUN ["/bin/busybox", "rm", "/bin/sh"]\n'
        'HEALTHCHECK --interval=1s CMD ["/bin/busybox", "true"]\n'
        'CMD ["/bin/busybox", "sleep", "600"]\n'
    )
    portside("build", "-q", "-t", "noshell", str(tmp_path))
    portside("run", "-d", "--name", "bare", "noshell")
    wait_for(lambda: status_of(portside, "bare") == "healthy")
    top = portside("top", "bare").stdout
    assert "portside-probe" not in top  # no helper in it: each probe was a runc exec


def test_a_killed_helper_is_replaced(portside: Portside) -> None:
    portside(
        "run", "-d", "--name", "mend", "--health-cmd", "true", *FAST, "busybox", "sleep", "600"
    )
    wait_for(lambda: status_of(portside, "mend") == "healthy")
    bundle = Path(portside("inspect", "-f", "{{.ResolvConfPath}}", "mend").stdout.strip()).parent
    pidfile = bundle / "health" / "helper.pid"
    old = int(pidfile.read_text())
    os.kill(old, 9)
    wait_for(lambda: pidfile.read_text() not in ("", str(old)))
    h = health(portside, "mend")
    end = h["Log"][-1]["End"] if h else ""
    wait_for(lambda: (health(portside, "mend") or {"Log": [{"End": end}]})["Log"][-1]["End"] != end)
    assert status_of(portside, "mend") == "healthy"
