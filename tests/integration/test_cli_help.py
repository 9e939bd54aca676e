"""What a user reads and types before anything runs: --help in Docker's shape, Go-style
boolean flags, and the bash completion that `portside completion bash` prints."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from portside.cli.completion import commands
from tests.conftest import Portside


@pytest.mark.parametrize("path", commands())
def test_every_command_has_docker_shaped_help(portside: Portside, path: str) -> None:
    out = portside(*path.split(), "--help").stdout
    usage, about = out.split("\n\n")[:2]  # cp's usage has a second line, as Docker's
    first = usage.splitlines()[0]
    canonical = {"list": "ls", "remove": "rm"}
    words = [canonical.get(w, w) if i else w for i, w in enumerate(path.split())]
    assert first.startswith(f"Usage:  portside {' '.join(words)}")
    assert about and not about.startswith(" ")
    assert "usage:" not in out and "-h, --help" not in out
    assert not (portside.root / "portside.db").exists()  # help touches no store


def test_help_lists_flags_with_their_value_types(portside: Portside) -> None:
    ps = portside("ps", "--help").stdout
    assert ps.startswith("Usage:  portside ps [OPTIONS]\n\nList containers\n\nOptions:\n")
    assert "  -a, --all             Show all containers (default shows just running)\n" in ps
    assert "  -n, --last int        Show n last created containers" in ps
    assert "(default -1)" in ps
    run = portside("run", "--help").stdout
    for line in ("  -p, --publish list", "  -m, --memory bytes", "      --network network"):
        assert line in run
    assert all(len(line) <= 80 for line in run.splitlines())
    stop = portside("stop", "--help").stdout
    assert "Stop one or more running containers" in stop and "-t, --timeout int" in stop


def test_go_boolean_flags_take_true_and_false(portside: Portside, busybox: str) -> None:
    human = portside("history", "busybox").stdout.splitlines()[1]
    assert "ago" in human and "MB" in human
    for flag in ("--human=false", "-H=0"):
        exact = portside("history", flag, "busybox").stdout.splitlines()[1]
        assert "ago" not in exact and "Z " in exact
    refused = portside("history", "--human=maybe", "busybox", check=False)
    assert refused.returncode == 125
    assert 'invalid argument "maybe" for boolean flag' in refused.stderr


def complete(script: Path, words: list[str]) -> list[str]:
    """What bash offers for the last word of ``words`` with portside's completion."""
    quoted = " ".join(f"'{w}'" for w in words)
    driver = (
        f"source {script}\n"
        f"COMP_WORDS=({quoted}); COMP_CWORD={len(words) - 1}; COMPREPLY=()\n"
        "_portside 2>/dev/null\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    out = subprocess.run(["bash", "-c", driver], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    return sorted(line for line in out.stdout.splitlines() if line)


def test_bash_completion_offers_commands_flags_and_names(
    portside: Portside, busybox: str, tmp_path: Path
) -> None:
    assert shutil.which("bash")
    portside("create", "--name", "web", "busybox")
    portside("create", "--name", "worker", "busybox")
    portside("network", "create", "backend")
    script = tmp_path / "portside.bash"
    script.write_text(portside("completion", "bash").stdout)
    store = ["portside", "--root", str(portside.root), "--runroot", str(portside.runroot)]

    assert complete(script, ["portside", "st"]) == ["start", "stats", "stop"]
    assert complete(script, ["portside", "network", "c"]) == ["connect", "create"]
    assert "--publish" in complete(script, ["portside", "run", "--p"])
    assert complete(script, [*store, "rm", "w"]) == ["web", "worker"]
    assert complete(script, [*store, "stop", "web", "wo"]) == ["worker"]  # more of them
    assert complete(script, [*store, "run", "-d", "bus"]) == ["busybox:latest"]
    assert complete(script, [*store, "run", "--network", "b"]) == ["backend", "bridge"]
    assert complete(script, [*store, "network", "connect", "backend", "we"]) == ["web"]
    assert complete(script, [*store, "rename", "web", ""]) == []  # the new name is the user's
    assert complete(script, [*store, "cp", "we"]) == ["web:"]
    (tmp_path / "notes.txt").write_text("x")
    assert complete(script, [*store, "cp", str(tmp_path / "no")]) == [str(tmp_path / "notes.txt")]
    refused = portside("completion", "zsh", check=False)
    assert refused.returncode == 1 and "bash only" in refused.stderr
