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

from tests.engines import Dockerd, HostNetworkGuard, podman_argv  # noqa: E402

__all__ = ["REPO", "Dockerd", "Engine", "HostNetworkGuard", "docker", "podman", "portside"]


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
    return Engine(
        "portside",
        [str(exe), "--root", str(work / "portside"), "--runroot", str(work / "portside-run")],
    )


# PLATFORM.md §7: podman needs these here (no CAP_SYS_RESOURCE, hybrid cgroups, no
# systemd); a private file through CONTAINERS_CONF, the machine's own left alone
PODMAN_CONF = """[containers]
default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
"""


def podman(work: Path) -> Engine | None:
    argv = podman_argv(work)
    if argv is None:
        return None
    conf = work / "containers.conf"
    conf.write_text(PODMAN_CONF)
    return Engine("podman", argv, {"CONTAINERS_CONF": str(conf)})


def docker(daemon: Dockerd) -> Engine | None:
    if not Dockerd.installed():
        return None
    try:
        argv = daemon.start()
    except RuntimeError as e:
        print(f"bench: {e}", file=sys.stderr)
        return None
    return Engine("docker", argv)
