import pytest

from portside.cli.output import tabwrite
from portside.units import human_duration, human_size, parse_bytes


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0B"),
        (999, "999B"),
        (1000, "1kB"),
        (1982256, "1.98MB"),
        (77_800_000, "77.8MB"),
        (124_300_000, "124MB"),
        (1_240_000_000, "1.24GB"),
    ],
)
def test_human_size_matches_go_units(size: int, text: str) -> None:
    assert human_size(size) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.5, "Less than a second"),
        (1, "1 second"),
        (42, "42 seconds"),
        (61, "About a minute"),
        (600, "10 minutes"),
        (3600, "About an hour"),
        (5 * 3600, "5 hours"),
        (3 * 86400, "3 days"),
        (15 * 86400, "2 weeks"),
        (90 * 86400, "3 months"),
        (800 * 86400, "2 years"),
    ],
)
def test_human_duration_matches_go_units(seconds: float, text: str) -> None:
    assert human_duration(seconds) == text


def test_tabwriter_pads_to_min_width_10_plus_3() -> None:
    import io

    out = io.StringIO()
    tabwrite(["REPOSITORY\tTAG\tIMAGE ID", "busybox\tlatest\tabc"], out)
    assert out.getvalue().splitlines() == [
        "REPOSITORY   TAG       IMAGE ID",
        "busybox      latest    abc",
    ]


@pytest.mark.parametrize(
    ("text", "size"),
    [("64m", 64 << 20), ("1G", 1 << 30), ("1024", 1024), ("1.5k", 1536), ("10mb", 10 << 20)],
)
def test_parse_bytes_matches_go_units(text: str, size: int) -> None:
    assert parse_bytes(text) == size


def test_parse_bytes_refuses_what_go_units_refuses() -> None:
    for text in ("", "m", "12q", "-1m"):
        with pytest.raises(ValueError):
            parse_bytes(text)
