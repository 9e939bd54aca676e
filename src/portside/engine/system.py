"""``version``, ``info`` and ``system df``."""

from __future__ import annotations

import os
import platform
import shutil
import socket
import subprocess
import sys
from typing import TYPE_CHECKING, Any

from ..image.archive_read import host_platform
from ..records import dataclass
from ..timefmt import now_rfc3339
from ..version import API_VERSION, __version__

if TYPE_CHECKING:
    from . import Engine


@dataclass(frozen=True)
class DiskUsage:
    type: str
    total: int
    active: int
    size: int
    reclaimable: int


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

    def disk_usage(self) -> list[DiskUsage]:
        """``system df``: images, containers, volumes and build cache, as Docker sums
        them (a layer shared by several images counts once)."""
        from .containers import dir_size

        meta = self.engine.store.meta
        containers = self.engine.containers.list(all=True)
        sizes = meta.layer_sizes(meta.all_layers())
        image_layers = {img.id: meta.image_layers(img.id) for img in meta.images()}
        used_images = {c.image_id for c in containers}
        in_images = {d for layers in image_layers.values() for d in layers}
        in_use = {d for i in used_images for d in image_layers.get(i, [])}
        cached = {d for key in meta.cache_keys() if (e := meta.cache_entry(key)) for d in e.layers}
        upper = {c.id: dir_size(self.engine.containers.paths(c.id).upper) for c in containers}
        active = [c for c in containers if c.status in ("running", "paused", "restarting")]
        only_cache = cached - in_images
        volumes = self.engine.volumes
        volume_sizes = {v.name: dir_size(volumes.data(v.name)) for v in volumes.table.all()}
        used_volumes = volumes.table.used() & set(volume_sizes)
        return [
            DiskUsage(
                "Images",
                len(image_layers),
                len(used_images & set(image_layers)),
                sum(sizes.get(d, 0) for d in in_images),
                sum(sizes.get(d, 0) for d in in_images - in_use),
            ),
            DiskUsage(
                "Containers",
                len(containers),
                len(active),
                sum(upper.values()),
                sum(v for k, v in upper.items() if k not in {c.id for c in active}),
            ),
            DiskUsage(
                "Local Volumes",
                len(volume_sizes),
                len(used_volumes),
                sum(volume_sizes.values()),
                sum(v for k, v in volume_sizes.items() if k not in used_volumes),
            ),
            DiskUsage(
                "Build Cache",
                len(meta.cache_keys()),
                0,
                sum(sizes.get(d, 0) for d in only_cache),
                sum(sizes.get(d, 0) for d in only_cache),
            ),
        ]

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
        """``docker info``'s fields, in its order, with the ones that mean something
        here filled; then portside's own (RunRoot, RuntimeVersion, PythonVersion)."""
        from ..store.identity import engine_id
        from .container_options import LOG_DRIVER

        store = self.engine.store
        meta = store.meta
        os_name, _ = host_platform()
        cgroup_v2 = os.path.exists("/sys/fs/cgroup/cgroup.controllers")
        statuses = [row.status for row in self.engine.containers.list(all=True)]
        running, paused = statuses.count("running"), statuses.count("paused")
        runtime = self.engine.settings.runtime
        security = ["name=seccomp,profile=default"]
        if os.geteuid() != 0:
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
