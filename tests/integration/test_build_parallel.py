"""Independent stages build at once, on the busybox base: proven without timing (each
stage's RUN waits for the other's marker in a shared cache mount, so the build only
succeeds if both ran together), with each line prefixed by its stage; a failing stage
stops the others and leaves the store as it was."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest

from ..conftest import Portside, store_state

pytestmark = [
    pytest.mark.usefixtures("busybox"),
    pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="one core: stages take turns"),
]

# each side says it started, then waits (up to 20 s) for the other side to say so
MEET = (
    "RUN --mount=type=cache,target=/meet,id=meet sh -c "
    "'touch /meet/{me}; i=0; until [ -e /meet/{other} ]; do i=$((i+1)); "
    '[ $i -gt 200 ] && echo "{other} never started" && exit 1; sleep 0.1; done; '
    "echo {me} > /done; echo {me} met {other}'\n"
)

TWO_SIDES = (
    "FROM busybox AS left\n"
    + MEET.format(me="left", other="right")
    + "FROM busybox AS right\n"
    + MEET.format(me="right", other="left")
    + "FROM busybox AS unused\n"
    "RUN exit 9\n"
    "FROM busybox\n"
    "COPY --from=left /done /left\n"
    "COPY --from=right /done /right\n"
    'CMD ["cat", "/left", "/right"]\n'
)


def test_independent_stages_run_at_once(portside: Portside, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(TWO_SIDES)
    out = portside("build", "-t", "sides", str(tmp_path), timeout=120).stdout
    # both RUNs started before either ended: serial, the first would wait in vain
    assert "[left]  ---> Running in" in out and "[right]  ---> Running in" in out
    assert "[left] left met right" in out and "[right] right met left" in out
    assert "exit 9" not in out  # a stage the target does not need is skipped
    lines = out.splitlines()
    built = lines.index(next(line for line in lines if line.startswith("Successfully built")))
    assert all(line.startswith(("[left] ", "[right] ", "[stage-3] ")) for line in lines[:built])
    # the step numbers of a build in order, whichever stage prints first
    assert "[left] Step 1/8 : FROM busybox AS left" in lines
    assert "[right] Step 3/8 : FROM busybox AS right" in lines
    assert '[stage-3] Step 8/8 : CMD ["cat", "/left", "/right"]' in lines
    assert portside("run", "--rm", "sides").stdout == "left\nright\n"
    assert list((portside.root / "tmp").iterdir()) == []  # COPY --from's mounts gone

    again = portside("build", "-t", "sides:2", str(tmp_path)).stdout
    assert "Cache miss" not in again and again.count("Using cache") == 4
    ids = portside("images", "-q", "--no-trunc", "sides").stdout.split()
    assert len(set(ids)) == 1


def test_a_failing_stage_stops_the_others(portside: Portside, tmp_path: Path) -> None:
    chan = "RUN --mount=type=cache,target=/c,id=chan "
    (tmp_path / "warm.Dockerfile").write_text(f"FROM busybox\n{chan}true\n")
    (tmp_path / "Dockerfile").write_text(
        "FROM busybox AS slow\n"
        f"{chan}sh -c 'touch /c/slow; sleep 100; echo slow finished'\n"
        "FROM busybox AS broken\n"
        f"{chan}sh -c 'until [ -e /c/slow ]; do sleep 0.1; done; rm /c/slow; exit 3'\n"
        "FROM busybox\n"
        "COPY --from=slow /etc/hostname /a\n"
        "COPY --from=broken /etc/hostname /b\n"
    )
    # the channel made, and its step's cache dropped: the failed build must add nothing
    portside("build", "--network", "none", "-f", "warm.Dockerfile", str(tmp_path))
    portside("builder", "prune", "-a", "-f", "--filter", "type=regular")
    before = store_state(portside.root)
    # the slow stage's sleep is killed, or the build outlives its timeout
    r = portside(
        "build", "--network", "none", "-t", "never", str(tmp_path), check=False, timeout=60
    )
    assert r.returncode == 1, r
    assert len(r.stderr.splitlines()) == 1, r.stderr  # the failing stage's error only
    assert r.stderr.startswith("Error: Dockerfile:4: The command ") and r.stderr.endswith(
        "returned a non-zero code: 3\n"
    ), r.stderr
    assert "[slow] slow finished" not in r.stdout.splitlines()  # killed in its sleep
    after = store_state(portside.root)
    assert [f for f in after[0] if not f.startswith("build-stat")] == [
        f for f in before[0] if not f.startswith("build-stat")
    ]
    assert after[1] == before[1]
    assert portside("images", "-q", "never").stdout == ""


def test_an_interrupted_build_stops_every_stage(portside: Portside, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(
        "FROM busybox AS a\nRUN sleep 101\nFROM busybox AS b\nRUN sleep 102\n"
        "FROM busybox\nCOPY --from=a /bin/sh /a\nCOPY --from=b /bin/sh /b\n"
    )
    before = store_state(portside.root)
    argv = portside.argv("build", "--network", "none", str(tmp_path))
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert proc.stdout is not None
        started: list[str] = []
        for line in proc.stdout:  # both sleeps running
            started += [line] if "---> Running in" in line else []
            if len(started) == 2:
                break
        proc.send_signal(signal.SIGINT)
        proc.send_signal(signal.SIGINT)  # twice, as a terminal's process group gets it
        assert proc.wait(timeout=30) == 130
    finally:
        proc.kill()
        proc.wait()
    runc = portside.runroot / "runc"
    assert not [n for n in (os.listdir(runc) if runc.exists() else []) if n.startswith("build-")]
    assert str(portside.root) not in Path("/proc/self/mounts").read_text()
    after = store_state(portside.root)
    assert [f for f in after[0] if not f.startswith(("build-stat", "tmp/"))] == [
        f for f in before[0] if not f.startswith(("build-stat", "tmp/"))
    ]
    assert list((portside.root / "tmp").iterdir()) == []
    assert after[1] == before[1]
