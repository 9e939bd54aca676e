"""build's platforms: BuildKit's automatic args (BUILDPLATFORM, TARGETARCH …) in FROM
lines and, once declared, in a stage; ``--platform`` and ``FROM --platform`` with the
machine's own platform, and another one refused in one line before anything runs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ..conftest import Portside, store_state, write_tree

pytestmark = pytest.mark.usefixtures("busybox")

ARCH = {"x86_64": "amd64", "aarch64": "arm64"}.get(os.uname().machine, os.uname().machine)
OTHER = "linux/arm64" if ARCH != "arm64" else "linux/amd64"


def context(tmp_path: Path, dockerfile: str) -> Path:
    return write_tree(tmp_path / "ctx", {"Dockerfile": dockerfile})


def test_automatic_args_in_from_and_in_a_stage_that_declares_them(
    portside: Portside, tmp_path: Path
) -> None:
    ctx = context(
        tmp_path,
        "FROM --platform=$BUILDPLATFORM busybox AS build\n"
        "ARG TARGETARCH TARGETPLATFORM\n"
        "ARG BUILDOS\n"
        'RUN echo "$TARGETARCH $TARGETPLATFORM $BUILDOS [$TARGETOS]" > /out\n'
        "FROM busybox\n"
        "COPY --from=build /out /out\n",
    )
    first = portside("build", "-t", "plat", str(ctx)).stdout
    assert first.startswith("Step 1/6 : FROM --platform=$BUILDPLATFORM busybox AS build\n")
    # TARGETOS was not declared in the stage: empty there, as BuildKit's
    out = portside("run", "--rm", "plat", "cat", "/out").stdout
    assert out == f"{ARCH} linux/{ARCH} linux []\n"

    # the machine's own platform, said aloud, is the same build: every step cached
    again = portside("build", "--platform", f"linux/{ARCH}", "-t", "plat2", str(ctx)).stdout
    assert "Cache miss" not in again


def test_a_global_arg_default_may_use_them(portside: Portside, tmp_path: Path) -> None:
    ctx = context(
        tmp_path,
        "ARG BASE=busybox\n"
        "ARG WANT=$TARGETPLATFORM\n"
        "FROM --platform=$WANT $BASE\n"
        "ARG WANT\n"
        "RUN echo $WANT\n",
    )
    out = portside("build", str(ctx)).stdout
    assert f"\nlinux/{ARCH}\n" in out


def test_another_platform_is_refused_in_one_line(portside: Portside, tmp_path: Path) -> None:
    ctx = context(tmp_path, "FROM busybox\nRUN touch /x\n")
    before = store_state(portside.root)
    r = portside("build", "--platform", OTHER, str(ctx), check=False)
    assert r.returncode == 1
    assert r.stderr.strip().splitlines() == [
        f"Error: platform {OTHER} is not this machine's (linux/{ARCH}): building for it "
        "needs emulation (binfmt_misc handlers with qemu-user-static), which portside "
        "does not use"
    ]
    assert store_state(portside.root) == before

    (ctx / "Dockerfile").write_text(f"FROM busybox\nRUN true\nFROM --platform={OTHER} busybox\n")
    r = portside("build", str(ctx), check=False)
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr.startswith(f"Error: Dockerfile:3: platform {OTHER} is not this machine's")
    assert store_state(portside.root) == before

    r = portside("build", "--platform", "linux/", str(ctx), check=False)
    assert r.returncode == 1
    assert r.stderr == 'Error: invalid platform "linux/": os/arch[/variant], e.g. linux/arm64\n'
