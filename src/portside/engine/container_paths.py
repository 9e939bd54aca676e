"""Where a container's files live: persistent ones under the store root, runtime state
(runc's, conmon's exit files and attach-socket links) under the run root."""

from __future__ import annotations

import sys
from pathlib import Path

from ..config import Settings
from ..records import dataclass

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from ..runtime.monitor import MonitorPaths

INIT_PATH = "/sbin/docker-init"  # where --init's binary is bound in the container


@dataclass(frozen=True)
class ContainerPaths:
    settings: Settings
    id: str

    @property
    def dir(self) -> Path:
        return self.settings.root / "containers" / self.id

    @property
    def upper(self) -> Path:
        return self.dir / "upper"

    @property
    def init(self) -> Path:
        return self.dir / "init"

    @property
    def work(self) -> Path:
        return self.dir / "work"

    @property
    def rootfs(self) -> Path:
        return self.dir / "merged"

    @property
    def shm(self) -> Path:
        """A shareable container's /dev/shm, a tmpfs on the host that joiners bind."""
        return self.dir / "shm"

    @property
    def bundle(self) -> Path:
        return self.dir / "userdata"

    @property
    def log(self) -> Path:
        return self.bundle / "ctr.log"

    @property
    def runc_root(self) -> Path:
        return self.settings.runroot / "runc"

    @property
    def exit_dir(self) -> Path:
        return self.settings.runroot / "exits"

    def monitor(self) -> MonitorPaths:
        from ..runtime.monitor import MonitorPaths

        return MonitorPaths(
            bundle=self.bundle,
            log=self.log,
            exit_dir=self.exit_dir,
            socket_dir=self.settings.runroot / "socket",
            pidfile=self.bundle / "pidfile",
            monitor_pidfile=self.bundle / "conmon.pid",
        )

    @property
    def health(self) -> Path:
        """The healthcheck's state files (runtime/health.py)."""
        return self.bundle / "health"

    def exit_command(self) -> list[str]:
        return self._command("container", "cleanup", self.id)

    def health_command(self) -> list[str]:
        """What the prober runs when the health status changes (the status appended)."""
        return self._command("container", "health-status", self.id)

    def _command(self, *args: str) -> list[str]:
        return [
            sys.executable,
            "-m",
            "portside",
            "--root",
            str(self.settings.root),
            "--runroot",
            str(self.settings.runroot),
            "--runtime",
            self.settings.runtime,
            *args,
        ]

    def make(self) -> None:
        for path in (self.upper, self.work, self.rootfs, self.bundle):
            path.mkdir(parents=True, exist_ok=True)
        for path in (self.runc_root, self.exit_dir, self.settings.runroot / "socket"):
            path.mkdir(parents=True, exist_ok=True)
