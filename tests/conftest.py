"""Shared fixtures: a throwaway store per test, the real CLI, a busybox rootfs tar.

Every test uses its own ``--root`` under pytest's tmp_path: nothing touches
/var/lib/portside or another engine's files.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

BUSYBOX = Path("/bin/busybox")


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str
    stdout_bytes: bytes


class Portside:
    """Runs the real ``portside`` CLI (``python -m portside``) against one store."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def __call__(
        self,
        *args: str,
        input: bytes | None = None,
        check: bool = True,
        env: dict[str, str] | None = None,
    ) -> Result:
        full_env = {**os.environ, **(env or {})}
        full_env.pop("PORTSIDE_ROOT", None)
        proc = subprocess.run(
            [sys.executable, "-m", "portside", "--root", str(self.root), *args],
            input=input if input is not None else b"",
            capture_output=True,
            env=full_env,
            timeout=300,
        )
        result = Result(
            proc.returncode,
            proc.stdout.decode(errors="replace"),
            proc.stderr.decode(errors="replace"),
            proc.stdout,
        )
        if check and proc.returncode != 0:
            raise AssertionError(
                f"portside {' '.join(args)} exited {proc.returncode}\n"
                f"stdout: {result.stdout}\nstderr: {result.stderr}"
            )
        return result


def extract_all(archive: Path, dest: Path) -> None:
    """tarfile's extractall, on Pythons with and without the ``filter`` argument."""
    with tarfile.open(archive) as tf:
        if hasattr(tarfile, "fully_trusted_filter"):
            tf.extractall(dest, filter="fully_trusted")
        else:  # Debian 12's python3 3.11.2
            tf.extractall(dest)


@pytest.fixture
def store_root(tmp_path: Path) -> Path:
    return tmp_path / "root"


@pytest.fixture
def portside(store_root: Path) -> Portside:
    return Portside(store_root)


def make_busybox_rootfs(directory: Path) -> Path:
    """A rootfs of Debian's busybox-static: /bin/busybox plus its applet links."""
    if not BUSYBOX.exists():
        pytest.fail("busybox-static is not installed (apt-get install busybox-static)")
    rootfs = directory / "rootfs"
    (rootfs / "bin").mkdir(parents=True)
    (rootfs / "tmp").mkdir(mode=0o1777)
    (rootfs / "etc").mkdir()
    (rootfs / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\n")
    shutil.copy2(BUSYBOX, rootfs / "bin" / "busybox")
    applets = subprocess.run([str(BUSYBOX), "--list"], capture_output=True, text=True, check=True)
    for applet in applets.stdout.split():
        if applet != "busybox":
            (rootfs / "bin" / applet).symlink_to("busybox")
    return rootfs


@pytest.fixture(scope="session")
def busybox_tar(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("busybox")
    rootfs = make_busybox_rootfs(directory)
    out = directory / "rootfs.tar"
    with tarfile.open(out, "w") as tf:
        tf.add(rootfs, arcname=".")
    return out


@pytest.fixture
def busybox(portside: Portside, busybox_tar: Path) -> str:
    """The busybox base image imported into the test's store; returns its ID."""
    return portside(
        "import", "--change", 'CMD ["sh"]', str(busybox_tar), "busybox:latest"
    ).stdout.strip()


def store_state(root: Path) -> tuple[list[str], dict[str, list[tuple[object, ...]]]]:
    """Everything a test can compare to prove the store did not change: files and rows."""
    files = sorted(
        str(p.relative_to(root))
        for p in root.rglob("*")
        if not p.name.startswith(("metadata.db", "store.lock"))
    )
    tables: dict[str, list[tuple[object, ...]]] = {}
    db = root / "metadata.db"
    if db.exists():
        conn = sqlite3.connect(db)
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'"):
            tables[name] = sorted(conn.execute(f"SELECT * FROM {name}").fetchall())
        conn.close()
    return files, tables


@pytest.fixture
def snapshot(
    store_root: Path,
) -> Callable[[], tuple[list[str], dict[str, list[tuple[object, ...]]]]]:
    return lambda: store_state(store_root)
