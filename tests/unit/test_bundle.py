"""The bundle's config.json (runtime/bundle.py): written whole or not at all.

The fault is real: the bundle is a tmpfs too small for the config being written, so
the write fails midway with ENOSPC, as it would on a full disk.
"""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from portside.runtime.bundle import read_process, write_config
from portside.runtime.spec import ContainerSpec, ProcessSpec, config_json
from portside.store.snapshots import mount_tmpfs, unmount

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root")


def spec(env_bytes: int = 0) -> ContainerSpec:
    env = ["A=1"] + ([f"BIG={'x' * env_bytes}"] if env_bytes else [])
    return ContainerSpec(
        rootfs="/nowhere", process=ProcessSpec(args=["true"], env=env), hostname="h"
    )


@pytest.fixture
def small_bundle(tmp_path: Path) -> Iterator[Path]:
    """A bundle on a 16 KiB tmpfs: room for a small config.json, not for a 64 KiB one."""
    bundle = tmp_path / "bundle"
    mount_tmpfs(bundle, "size=16k,mode=0700")
    try:
        yield bundle
    finally:
        unmount(bundle)


def test_config_is_written_whole_and_read_back(small_bundle: Path) -> None:
    write_config(small_bundle, spec())
    assert os.listdir(small_bundle) == ["config.json"]
    written = json.loads((small_bundle / "config.json").read_text())
    assert written == config_json(spec())
    assert read_process(small_bundle) == written["process"]


def test_a_failed_write_keeps_the_config_before_it(small_bundle: Path) -> None:
    write_config(small_bundle, spec())
    before = (small_bundle / "config.json").read_bytes()
    with pytest.raises(OSError) as failed:
        write_config(small_bundle, spec(env_bytes=64 * 1024))
    assert failed.value.errno == errno.ENOSPC
    assert os.listdir(small_bundle) == ["config.json"]  # no temporary file left
    assert (small_bundle / "config.json").read_bytes() == before


def test_a_failed_first_write_leaves_no_config(small_bundle: Path) -> None:
    with pytest.raises(OSError) as failed:
        write_config(small_bundle, spec(env_bytes=64 * 1024))
    assert failed.value.errno == errno.ENOSPC
    assert os.listdir(small_bundle) == []
