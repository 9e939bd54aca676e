"""``version``, ``info`` and ``system df``."""

from __future__ import annotations

import os
import sys

from ..image.host import host_platform
from ..version import API_VERSION, __version__

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import Any

    from . import Engine
    from .disk_usage import DiskUsageReport


class SystemService:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def version(self) -> dict[str, Any]:
        os_name, arch = host_platform()
        return {
            "Version": __version__,
            "ApiVersion": API_VERSION,
            "PythonVersion": sys.version.split()[0],  # as platform.python_version()
            "Os": os_name,
            "Arch": arch,
            "KernelVersion": os.uname().release,  # as platform.release()
        }

    def disk_usage(self) -> DiskUsageReport:
        """``system df`` (engine/disk_usage.py)."""
        from .disk_usage import disk_usage

        return disk_usage(self.engine)

    def cache_only_bytes(self) -> int:
        """What the build cache alone keeps on disk (``builder prune -a`` frees it)."""
        from .disk_usage import cache_only_bytes

        return cache_only_bytes(self.engine)

    def runtime_version(self) -> str:
        import subprocess

        from ..processes import which

        path = which(self.engine.settings.runtime)
        if path is None:
            return ""
        try:
            out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            return ""
        return out.stdout.splitlines()[0] if out.stdout else ""

    def info(self) -> dict[str, Any]:
        """``docker info``'s fields, in its order, with the ones that mean something
        here filled; then portside's own (RunRoot, RuntimeVersion, PythonVersion)."""
        import platform
        import socket

        from ..store.identity import engine_id
        from ..timefmt import now_rfc3339
        from .container_options import LOG_DRIVER
        from .container_state import Status

        store = self.engine.store
        meta = store.meta
        os_name, _ = host_platform()
        cgroup_v2 = os.path.exists("/sys/fs/cgroup/cgroup.controllers")
        statuses = [row.status for row in self.engine.containers.list(all=True)]
        running, paused = statuses.count(Status.RUNNING), statuses.count(Status.PAUSED)
        runtime = self.engine.settings.runtime
        security = ["name=seccomp,profile=default"]
        from ..userns import id_mapping, rootless

        if rootless():
            security.append("name=rootless")
        return {
            "ID": engine_id(store.root),
            "Containers": len(statuses),
            "ContainersRunning": running,
            "ContainersPaused": paused,
            "ContainersStopped": len(statuses) - running - paused,
            "Images": len(meta.images()),
            "Driver": "overlay",
            "DriverStatus": [
                ["Backing Filesystem", _fs_type(store.root)],
                ["Layers", str(len(meta.all_layers()))],
            ],
            "Plugins": {
                "Volume": ["local"],
                "Network": ["bridge", "host", "null"],
                "Authorization": None,
                "Log": [LOG_DRIVER],
            },
            "IPv4Forwarding": _sysctl("net/ipv4/ip_forward") == "1",
            "Debug": False,
            "SystemTime": now_rfc3339(),
            "LoggingDriver": LOG_DRIVER,
            "CgroupDriver": "cgroupfs",  # runc's cgroups are made by path, never via systemd
            "CgroupVersion": "2" if cgroup_v2 else "1",
            "KernelVersion": platform.release(),
            "OperatingSystem": _os_release("PRETTY_NAME") or platform.system(),
            "OSVersion": _os_release("VERSION_ID"),
            "OSType": os_name,
            "Architecture": platform.machine(),  # uname -m, as Docker's info: x86_64
            "IndexServerAddress": "https://index.docker.io/v1/",
            "NCPU": os.cpu_count() or 0,
            "MemTotal": _mem_total(),
            "DockerRootDir": str(store.root),
            "HttpProxy": os.environ.get("HTTP_PROXY") or os.environ.get("http_proxy", ""),
            "HttpsProxy": os.environ.get("HTTPS_PROXY") or os.environ.get("https_proxy", ""),
            "NoProxy": os.environ.get("NO_PROXY") or os.environ.get("no_proxy", ""),
            "Name": socket.gethostname(),
            "Labels": [],
            "ExperimentalBuild": False,
            "ServerVersion": __version__,
            "Runtimes": {os.path.basename(runtime): {"path": runtime}},
            "DefaultRuntime": os.path.basename(runtime),
            "Swarm": {"NodeID": "", "NodeAddr": "", "LocalNodeState": "inactive"},
            "LiveRestoreEnabled": False,
            "Isolation": "",
            "SecurityOptions": security,
            "Warnings": None,
            "RunRoot": str(self.engine.settings.runroot),
            "Rootless": rootless(),
            "IDMapping": id_mapping() if rootless() else "",
            "RuntimeVersion": self.runtime_version(),
            "PythonVersion": sys.version.split()[0],
        }


def _fs_type(path: os.PathLike[str] | str) -> str:
    from ..store.snapshots import is_under, mounts

    best, fstype = "", ""
    target = os.path.realpath(path)
    try:
        for point, kind in mounts():
            if is_under(target, point) and len(point) >= len(best):
                best, fstype = point, kind
    except OSError:
        pass
    return fstype


def _os_release(key: str) -> str:
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith(key + "="):
                    return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return ""


def _sysctl(name: str) -> str:
    try:
        with open(f"/proc/sys/{name}") as f:
            return f.read().strip()
    except OSError:
        return ""


def _mem_total() -> int:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0
