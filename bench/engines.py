"""The engines a benchmark compares: portside, and Docker and Podman when installed.

Each gets its own throwaway store under one short temporary folder; Docker's daemon is
started on its own socket and data root (PLATFORM.md §7) and stopped by PID at the end
(tests/engines.py, shared with the interop tests).
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.engines import Dockerd, podman_argv  # noqa: E402

__all__ = ["REPO", "Dockerd", "Engine", "docker", "podman", "portside"]


@dataclass
class Engine:
    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)

    def cmd(self, *args: str) -> list[str]:
        return [*self.argv, *args]

    def run(
        self, *args: str, check: bool = True, stdin: bytes | None = None
    ) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            self.cmd(*args),
            env={**os.environ, **self.env},
            input=stdin,
            capture_output=True,
            check=check,
            timeout=600,
        )


def portside(work: Path) -> Engine:
    exe = REPO / ".venv/bin/portside"
    return Engine("portside", [str(exe), "--root", str(work / "portside")])


def podman(work: Path) -> Engine | None:
    argv = podman_argv(work)
    return Engine("podman", argv) if argv is not None else None


def docker(daemon: Dockerd) -> Engine | None:
    if not Dockerd.installed():
        return None
    try:
        argv = daemon.start()
    except RuntimeError as e:
        print(f"bench: {e}", file=sys.stderr)
        return None
    return Engine("docker", argv)
