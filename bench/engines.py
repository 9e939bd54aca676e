"""The engines a benchmark compares: portside, and Docker and Podman when installed.

Each gets its own throwaway store under one temporary folder; Docker's daemon is started
on its own socket and data root (PLATFORM.md §7) and stopped by PID at the end.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


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
    exe = shutil.which("podman")
    if exe is None:
        return None
    return Engine(
        "podman",
        [
            exe,
            "--root",
            str(work / "podman"),
            "--runroot",
            str(work / "podman-run"),
            "--storage-driver",
            "overlay",
            "--events-backend",
            "file",
            "--cgroup-manager",
            "cgroupfs",
        ],
    )


class Dockerd:
    """A private dockerd for the benchmarks, or nothing when Docker is not installed."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.proc: subprocess.Popen[bytes] | None = None
        self.sock = work / "docker.sock"

    def start(self) -> Engine | None:
        if shutil.which("dockerd") is None or shutil.which("docker") is None:
            return None
        log = open(self.work / "dockerd.log", "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [
                "dockerd",
                "--host",
                f"unix://{self.sock}",
                "--data-root",
                str(self.work / "docker"),
                "--exec-root",
                str(self.work / "docker-exec"),
                "--pidfile",
                str(self.work / "dockerd.pid"),
                "--bridge",
                "none",
                "--iptables=false",
            ],
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        engine = Engine("docker", ["docker"], {"DOCKER_HOST": f"unix://{self.sock}"})
        for _ in range(300):
            if engine.run("version", check=False).returncode == 0:
                return engine
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        print("bench: dockerd did not start; see", self.work / "dockerd.log", file=sys.stderr)
        self.stop()
        return None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
