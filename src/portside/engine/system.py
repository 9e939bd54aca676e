"""``version``, ``info`` and ``system df``."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
from typing import TYPE_CHECKING, Any

from ..image.archive_read import host_platform
from ..records import dataclass
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
        store = self.engine.store
        meta = store.meta
        images = len(meta.images())
        os_name, arch = host_platform()
        cgroup_v2 = os.path.exists("/sys/fs/cgroup/cgroup.controllers")
        statuses = [row.status for row in self.engine.containers.list(all=True)]
        return {
            "ID": "",
            "Containers": len(statuses),
            "ContainersRunning": statuses.count("running"),
            "ContainersPaused": statuses.count("paused"),
            "ContainersStopped": len(statuses)
            - statuses.count("running")
            - statuses.count("paused"),
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
