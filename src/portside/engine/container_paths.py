"""Where a container's files live: persistent ones under the store root, runtime state
(runc's, conmon's exit files and attach-socket links) under the run root.

Paths are strings, as the settings' are (config.py): ``rm`` and ``inspect`` read them,
and need no ``pathlib``."""

from __future__ import annotations

import os
import sys

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
    def dir(self) -> str:
        return f"{self.settings.root}/containers/{self.id}"

    @property
    def upper(self) -> str:
        return f"{self.dir}/upper"

    @property
    def init(self) -> str:
        return f"{self.dir}/init"

    @property
    def work(self) -> str:
        return f"{self.dir}/work"

    @property
    def rootfs(self) -> str:
        return f"{self.dir}/merged"

    @property
    def shm(self) -> str:
        """A shareable container's /dev/shm, a tmpfs on the host that joiners bind."""
        return f"{self.dir}/shm"

    @property
    def bundle(self) -> str:
        return f"{self.dir}/userdata"

    @property
    def log(self) -> str:
        return f"{self.bundle}/ctr.log"

    @property
    def runc_root(self) -> str:
        return f"{self.settings.runroot}/runc"

    @property
    def exit_dir(self) -> str:
        return f"{self.settings.runroot}/exits"

    def monitor(self) -> MonitorPaths:
        from ..runtime.monitor import MonitorPaths

        return MonitorPaths(
            bundle=self.bundle,
            log=self.log,
            exit_dir=self.exit_dir,
            socket_dir=f"{self.settings.runroot}/socket",
            pidfile=f"{self.bundle}/pidfile",
            monitor_pidfile=f"{self.bundle}/conmon.pid",
        )

    @property
    def health(self) -> str:
        """The healthcheck's state files (runtime/health.py)."""
        return f"{self.bundle}/health"

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
            self.settings.root,
            "--runroot",
            self.settings.runroot,
            "--runtime",
            self.settings.runtime,
            *args,
        ]

    def make(self) -> None:
        for path in (self.upper, self.work, self.rootfs, self.bundle):
            os.makedirs(path, exist_ok=True)
        for path in (self.runc_root, self.exit_dir, f"{self.settings.runroot}/socket"):
            os.makedirs(path, exist_ok=True)
