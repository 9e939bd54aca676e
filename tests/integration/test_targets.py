"""Several targets in one command (``rm a b c``): the engine gives one report per
target, each with its own error, and the CLI shows each on its own line."""

from __future__ import annotations

from portside.config import Settings
from portside.engine import Engine
from portside.engine.targets import RemoveOptions
from portside.errors import ContainerNotFound
from tests.conftest import Portside


def test_the_engine_reports_each_target_apart(portside: Portside, busybox: str) -> None:
    portside("create", "--name", "one", "busybox")
    portside("create", "--name", "two", "busybox", "sh", "-c", "exit 3")
    portside("start", "two")
    engine = Engine(Settings.from_env(portside.root, portside.runroot))
    try:
        waited = list(engine.targets.wait(["two", "nope"]))
        removed = list(engine.targets.remove(["one", "nope", "two"], RemoveOptions()))
    finally:
        engine.close()
    assert [(r.target, r.exit_code, r.error is None) for r in waited] == [
        ("two", 3, True),
        ("nope", None, False),
    ]
    assert [r.target for r in removed] == ["one", "nope", "two"]
    assert removed[0].error is None and len(removed[0].id) == 64
    assert isinstance(removed[1].error, ContainerNotFound)  # and the next one still ran
    assert removed[2].error is None
    assert portside("ps", "-aq").stdout == ""


def test_the_cli_prints_one_line_per_target(portside: Portside, busybox: str) -> None:
    portside("create", "--name", "one", "busybox")
    portside("create", "--name", "two", "busybox")
    out = portside("rm", "one", "nope", "two", check=False)
    assert out.stdout == "one\ntwo\n"
    assert out.stderr == "Error: No such container: nope\n"
    assert out.returncode == 1
