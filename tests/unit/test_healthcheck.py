"""The Healthcheck record: Docker's flags, JSON and docker-py's dict in; the image's
merged in; Docker's words for what it refuses; Go's durations both ways."""

from __future__ import annotations

import pytest

from portside.engine.health import Healthcheck, go_duration, go_duration_text, merged_json
from portside.errors import InvalidArgument

S = 10**9


def test_flags_as_docker_cli_reads_them() -> None:
    assert Healthcheck.from_flags() is None
    hc = Healthcheck.from_flags("curl -f localhost", "1m30s", "2s", "", "500ms", 4)
    assert hc == Healthcheck(("CMD-SHELL", "curl -f localhost"), 90 * S, 2 * S, 0, S // 2, 4)
    assert Healthcheck.from_flags(none=True) == Healthcheck(("NONE",))
    only_retries = Healthcheck.from_flags(retries=5)
    assert only_retries is not None and only_retries.test == ()  # the image's test


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"cmd": "true", "none": True}, "--no-healthcheck conflicts with --health-* options"),
        ({"interval": "-1s"}, "--health-interval cannot be negative"),
        ({"retries": -2}, "--health-retries cannot be negative"),
        ({"timeout": "10us"}, "Timeout in Healthcheck cannot be less than 1ms"),
        ({"start_period": "1x"}, 'invalid argument "1x" for "--health-start-period" flag'),
    ],
)
def test_flags_refused_in_dockers_words(kwargs: dict[str, object], words: str) -> None:
    with pytest.raises(InvalidArgument) as e:
        Healthcheck.from_flags(**kwargs)  # type: ignore[arg-type]
    assert words in str(e.value)


def test_json_and_docker_py_dict() -> None:
    docker = {"Test": ["CMD", "pg_isready"], "Interval": 2 * S, "Retries": 3}
    assert Healthcheck.from_json(docker) == Healthcheck(("CMD", "pg_isready"), 2 * S, retries=3)
    assert Healthcheck.from_json(docker).to_json() == docker  # type: ignore[union-attr]
    py = {"test": "exit 0", "interval": S, "start_period": 3 * S}
    assert Healthcheck.from_json(py) == Healthcheck(("CMD-SHELL", "exit 0"), S, 0, 3 * S)
    assert Healthcheck.from_json(None) is None and Healthcheck.from_json({}) is None
    with pytest.raises(InvalidArgument):
        Healthcheck.from_json({"Test": ["RUN", "x"]})


def test_merged_over_the_image_field_by_field() -> None:
    image = {"Healthcheck": {"Test": ["CMD-SHELL", "true"], "Interval": 5 * S, "Retries": 4}}
    assert merged_json(None, image) == image["Healthcheck"]
    assert merged_json(Healthcheck(retries=7), image) == {
        "Test": ["CMD-SHELL", "true"],
        "Interval": 5 * S,
        "Retries": 7,
    }
    # as the daemon merges: NONE keeps the image's durations, and runs nothing
    off = merged_json(Healthcheck.disabled(), image)
    assert off is not None and off["Test"] == ["NONE"]
    assert not Healthcheck.from_json(off).active  # type: ignore[union-attr]
    assert merged_json(None, {}) is None


def test_probe_argv() -> None:
    assert Healthcheck(("CMD", "a", "b")).argv() == ["a", "b"]
    assert Healthcheck(("CMD-SHELL", "a && b")).argv() == ["/bin/sh", "-c", "a && b"]
    assert Healthcheck(("CMD-SHELL", "x")).argv(["bash", "-ec"]) == ["bash", "-ec", "x"]


def test_go_durations() -> None:
    assert go_duration("1h2m3.5s", "f") == 3723 * S + S // 2
    assert go_duration("0", "f") == 0 and go_duration("", "f") == 0
    assert go_duration("-250ms", "f") == -(S // 4)
    for ns, text in ((30 * S, "30s"), (90 * S, "1m30s"), (S // 2, "500ms"), (3 * S // 2, "1.5s")):
        assert go_duration_text(ns) == text
    assert go_duration_text(3600 * S) == "1h0m0s"
