"""builder/platforms.py: platforms read as containerd normalises them, and BuildKit's
automatic platform args."""

from __future__ import annotations

import pytest

from portside.builder.platforms import Platform, automatic_args, check_native, native, parse
from portside.errors import InvalidArgument


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("linux/amd64", Platform("linux", "amd64")),
        ("linux/x86_64", Platform("linux", "amd64")),
        ("amd64", Platform("linux", "amd64")),
        ("linux/aarch64", Platform("linux", "arm64")),
        ("linux/arm64/v8", Platform("linux", "arm64")),
        ("linux/arm", Platform("linux", "arm", "v7")),
        ("linux/arm/v6", Platform("linux", "arm", "v6")),
        ("Linux/AMD64", Platform("linux", "amd64")),
        ("linux", Platform("linux", native().architecture)),
    ],
)
def test_parse_normalises_as_containerd(text: str, expected: Platform) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize("text", ["linux/", "a/b/c/d", "", "/amd64"])
def test_parse_refuses_what_is_not_a_platform(text: str) -> None:
    with pytest.raises(InvalidArgument, match="invalid platform"):
        parse(text)


def test_automatic_args() -> None:
    args = automatic_args(Platform("linux", "amd64"), Platform("linux", "arm", "v7"))
    assert args == {
        "BUILDPLATFORM": "linux/amd64",
        "BUILDOS": "linux",
        "BUILDARCH": "amd64",
        "BUILDVARIANT": "",
        "TARGETPLATFORM": "linux/arm/v7",
        "TARGETOS": "linux",
        "TARGETARCH": "arm",
        "TARGETVARIANT": "v7",
    }


def test_only_the_native_platform_is_built() -> None:
    check_native(native())
    other = Platform("linux", "s390x")
    with pytest.raises(InvalidArgument, match="needs emulation"):
        check_native(other)
