"""``version`` and ``info``."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
from typing import TYPE_CHECKING, Any

from ..image.archive_read import host_platform
from ..version import API_VERSION, __version__

if TYPE_CHECKING:
    from . import Engine


class SystemService:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def version(self) -> dict[str, Any]:
        os_name, arch = host_platform()
        return {
            "Version": __version__,
            "ApiVersion": API_VERSION,
            "PythonVersion": platform.python_version(),
            "Os": os_name,
            "Arch": arch,
            "KernelVersion": platform.release(),
        }

    def runtime_version(self) -> str:
        path = shutil.which(self.engine.settings.runtime)
        if path is None:
            return ""
        try:
            out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            return ""
        return out.stdout.splitlines()[0] if out.stdout else ""

    def info(self) -> dict[str, Any]:
        store = self.engine.store
        meta = store.meta
        images = len(meta.images())
        os_name, arch = host_platform()
        cgroup_v2 = os.path.exists("/sys/fs/cgroup/cgroup.controllers")
        return {
            "ID": "",
            "Containers": 0,
            "ContainersRunning": 0,
            "ContainersPaused": 0,
            "ContainersStopped": 0,
            "Images": images,
            "Driver": "overlay",
            "DriverStatus": [
                ["Backing Filesystem", _fs_type(store.root)],
                ["Layers", str(len(meta.all_layers()))],
            ],
            "DockerRootDir": str(store.root),
            "RunRoot": str(self.engine.settings.runroot),
            "DefaultRuntime": self.engine.settings.runtime,
            "RuntimeVersion": self.runtime_version(),
            "CgroupVersion": "2" if cgroup_v2 else "1",
            "KernelVersion": platform.release(),
            "OperatingSystem": _os_name(),
            "OSType": os_name,
            "Architecture": arch,
            "NCPU": os.cpu_count() or 0,
            "MemTotal": _mem_total(),
            "ServerVersion": __version__,
            "PythonVersion": sys.version.split()[0],
        }


def _fs_type(path: os.PathLike[str] | str) -> str:
    best, fstype = "", ""
    target = os.path.realpath(path)
    try:
        with open("/proc/self/mounts") as f:
            for line in f:
                parts = line.split()
                if (
                    len(parts) > 2
                    and (target + "/").startswith(parts[1].rstrip("/") + "/")
                    and len(parts[1]) >= len(best)
                ):
                    best, fstype = parts[1], parts[2]
    except OSError:
        pass
    return fstype


def _os_name() -> str:
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return platform.system()


def _mem_total() -> int:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0
