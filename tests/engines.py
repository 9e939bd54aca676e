"""The reference engines, run privately: a dockerd on its own socket and data root, and
podman with its own --root. Used by the interop tests and by bench/.

Both need short paths (podman's runroot under 50 characters, containerd's socket under
108), so callers give them a folder made with ``short_dir()``.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path


def short_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="ps-", dir="/tmp"))


def podman_argv(work: Path) -> list[str] | None:
    exe = shutil.which("podman")
    if exe is None:
        return None
    return [
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
    ]


def podman_cleanup(work: Path) -> None:
    argv = podman_argv(work)
    if argv is not None:
        subprocess.run([*argv, "rmi", "-a", "-f"], capture_output=True)
    subprocess.run(["umount", "-R", str(work / "podman" / "overlay")], capture_output=True)


class Dockerd:
    """A private dockerd, never with iptables rules; ``start`` returns the client argv.
    With ``bridge`` it makes its default bridge (docker0), so ``run`` measures Docker's
    default network; ``stop`` removes that bridge again."""

    def __init__(self, work: Path, bridge: bool = False) -> None:
        self.work = work
        self.bridge = bridge and not Path("/sys/class/net/docker0").exists()
        self.proc: subprocess.Popen[bytes] | None = None

    @staticmethod
    def client() -> str:
        """The client packaged with this dockerd when there is one: it speaks BuildKit
        without the buildx plugin, which a newer client on PATH may lack."""
        return "/usr/bin/docker" if Path("/usr/bin/docker").exists() else "docker"

    @staticmethod
    def installed() -> bool:
        return shutil.which("dockerd") is not None and shutil.which("docker") is not None

    def start(self) -> list[str]:
        sock = self.work / "docker.sock"
        with open(self.work / "dockerd.log", "wb") as log:
            self.proc = subprocess.Popen(
                [
                    "dockerd",
                    "--host",
                    f"unix://{sock}",
                    "--data-root",
                    str(self.work / "docker"),
                    "--exec-root",
                    str(self.work / "docker-exec"),
                    "--pidfile",
                    str(self.work / "dockerd.pid"),
                    *([] if self.bridge else ["--bridge", "none"]),
                    "--iptables=false",
                    "--ip-masq=false",
                ],
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        argv = [self.client(), "--host", f"unix://{sock}"]
        for _ in range(300):
            if subprocess.run([*argv, "version"], capture_output=True).returncode == 0:
                return argv
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        self.stop()
        log_tail = (self.work / "dockerd.log").read_text(errors="replace")[-500:]
        raise RuntimeError(f"dockerd did not start: {log_tail}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        subprocess.run(["umount", "-R", str(self.work / "docker")], capture_output=True)
        if self.bridge:  # the one dockerd made: it did not exist before start
            subprocess.run(["ip", "link", "del", "docker0"], capture_output=True)
