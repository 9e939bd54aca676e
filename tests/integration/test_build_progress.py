"""build's ``--progress``: plain (the classic lines), rawjson (BuildKit's status
stream, read back as a program would), tty (a view redrawn on a real terminal, plain
elsewhere) and auto."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from ..conftest import Portside, write_tree
from ..terminal import exit_code, read_until, spawn

pytestmark = pytest.mark.usefixtures("busybox")

DOCKERFILE = "FROM busybox\nRUN echo hello; echo world\nRUN echo $((1+2)) > /three\n"


@pytest.fixture
def ctx(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "ctx", {"Dockerfile": DOCKERFILE})


def statuses(text: str) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """The vertexes (by digest, their last state) and each one's log, from rawjson."""
    vertexes: dict[str, dict[str, Any]] = {}
    logs: dict[str, str] = {}
    for line in text.splitlines():
        status = json.loads(line)
        for v in status.get("vertexes", []):
            vertexes[v["digest"]] = v
        for log in status.get("logs", []):
            assert log["stream"] == 1 and log["timestamp"].endswith("Z")
            data = base64.b64decode(log["data"]).decode()
            logs[log["vertex"]] = logs.get(log["vertex"], "") + data
    return vertexes, logs


def test_rawjson_is_buildkits_status_stream(portside: Portside, ctx: Path) -> None:
    vertexes, logs = statuses(portside("build", "--progress=rawjson", str(ctx)).stdout)
    by_name = {v["name"]: v for v in vertexes.values()}
    assert list(by_name)[:3] == [
        "[1/3] FROM busybox",
        "[2/3] RUN echo hello; echo world",
        "[3/3] RUN echo $((1+2)) > /three",
    ]
    assert all(v["started"] <= v["completed"] for v in vertexes.values())
    assert logs[by_name["[2/3] RUN echo hello; echo world"]["digest"]] == "hello\nworld\n"
    built = next(v for name, v in by_name.items() if name.startswith("Successfully built"))
    assert "cached" not in built

    again, _ = statuses(portside("build", "--progress", "rawjson", str(ctx)).stdout)
    cached = [v["name"] for v in again.values() if v.get("cached")]
    assert cached == ["[2/3] RUN echo hello; echo world", "[3/3] RUN echo $((1+2)) > /three"]

    (ctx / "Dockerfile").write_text("FROM busybox\nRUN echo about to fail; exit 3\n")
    r = portside("build", "--progress=rawjson", str(ctx), check=False)
    assert r.returncode == 1
    failed, logs = statuses(r.stdout)
    step = next(v for v in failed.values() if v["name"].startswith("[2/2]"))
    assert step["error"] == (
        "Dockerfile:2: The command '/bin/sh -c echo about to fail; exit 3' "
        "returned a non-zero code: 3"
    )
    assert logs[step["digest"]] == "about to fail\n"
    assert r.stderr == f"Error: {step['error']}\n"


def test_plain_and_auto_off_a_terminal_are_the_classic_lines(portside: Portside, ctx: Path) -> None:
    plain = portside("build", "--progress=plain", "--no-cache", str(ctx)).stdout
    assert plain.startswith("Step 1/3 : FROM busybox\n")
    assert "\nhello\nworld\n" in plain
    for mode in ("auto", "tty"):  # no terminal here: tty falls back to plain
        out = portside("build", f"--progress={mode}", str(ctx)).stdout
        assert out.startswith("Step 1/3 : FROM busybox\n") and "\x1b[" not in out
    r = portside("build", "--progress=fancy", str(ctx), check=False)
    assert r.returncode == 1
    assert r.stderr == 'Error: invalid progress mode "fancy": auto, plain, tty or rawjson\n'


def test_tty_redraws_a_view_on_a_terminal(portside: Portside, ctx: Path) -> None:
    portside("build", str(ctx))  # the steps cached: the view says so
    pid, fd = spawn(portside, "build", "--progress=tty", "-t", "viewed", str(ctx))
    shown = read_until(fd, b"Successfully tagged viewed:latest").decode(errors="replace")
    assert exit_code(pid) == 0
    assert "[+] Building " in shown and "\x1b[2K" in shown
    assert " => CACHED [2/3] RUN echo hello; echo world" in shown
    assert "\x1b[" in shown.split("[+] Building", 2)[-1]  # drawn again over itself

    pid, fd = spawn(portside, "build", "--no-cache", str(ctx))  # auto on a terminal: tty
    shown = read_until(fd, b"Successfully built").decode(errors="replace")
    assert exit_code(pid) == 0
    assert " => [2/3] RUN echo hello; echo world" in shown and "Step 1/3" not in shown
    assert "(miss: --no-cache)" in shown
