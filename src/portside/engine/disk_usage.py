"""``system df``: the space images, containers, volumes and the build cache take, summed
as Docker sums it, and (``-v``) each one's share. The build cache holds the steps'
layers and the ``RUN --mount=type=cache`` folders (type ``exec.cachemount``).

A layer shared by several images counts once. The build cache counts only the layers
it alone keeps (no image has them): after ``image prune -a`` a deleted base image's
layers stay on disk while a cached step stands on them, and that is where they show.
"""

from __future__ import annotations

import json

from ..records import dataclass
from ..store.containers import ContainerRow
from ..store.sizes import dir_size as dir_size  # re-exported: ps sizes a container here
from .container_state import ACTIVE

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from . import Engine


@dataclass(frozen=True)
class DiskUsage:
    """One row of the summary."""

    type: str
    total: int
    active: int
    size: int
    reclaimable: int


@dataclass(frozen=True)
class ImageUsage:
    id: str
    repo_tags: list[str]
    created: str
    size: int
    shared_size: int  # of layers other images have too
    containers: int


@dataclass(frozen=True)
class ContainerUsage:
    row: ContainerRow
    size: int  # its writable layer
    volumes: int  # named and anonymous volumes it mounts


@dataclass(frozen=True)
class VolumeUsage:
    name: str
    links: int  # containers that mount it
    size: int


@dataclass(frozen=True)
class CacheUsage:
    key: str
    size: int  # the layers only the cache keeps, each counted at its oldest entry
    created: float
    last_used: float
    shared: bool  # its top layer is an image's too
    description: str  # the step, as the image's history says it
    type: str = "regular"  # or "exec.cachemount": a RUN --mount=type=cache folder
    in_use: bool = False


@dataclass(frozen=True)
class DiskUsageReport:
    summary: list[DiskUsage]
    images: list[ImageUsage]
    containers: list[ContainerUsage]
    volumes: list[VolumeUsage]
    cache: list[CacheUsage]
    cache_size: int


def cache_only_bytes(engine: Engine) -> int:
    """What the build cache alone keeps on disk, which ``builder prune -a`` frees."""
    meta = engine.store.meta
    return sum(meta.layer_sizes(meta.cache_only_layers()).values())


def disk_usage(engine: Engine) -> DiskUsageReport:
    meta = engine.store.meta
    containers = engine.containers.list(all=True)
    sizes = meta.layer_sizes(meta.all_layers())
    image_layers = {img.id: meta.image_layers(img.id) for img in meta.images()}
    holders: dict[str, int] = {}
    for layers in image_layers.values():
        for d in set(layers):
            holders[d] = holders.get(d, 0) + 1
    users: dict[str, int] = {}
    for c in containers:
        users[c.image_id] = users.get(c.image_id, 0) + 1
    in_use = {d for i in users for d in image_layers.get(i, [])}
    tags: dict[str, list[str]] = {}
    for name, image_id in meta.all_tags():
        tags.setdefault(image_id, []).append(name)
    images = [
        ImageUsage(
            img.id,
            sorted(tags.get(img.id, [])),
            img.created,
            sum(sizes.get(d, 0) for d in set(image_layers[img.id])),
            sum(sizes.get(d, 0) for d in set(image_layers[img.id]) if holders[d] > 1),
            users.get(img.id, 0),
        )
        for img in sorted(meta.images(), key=lambda i: i.created, reverse=True)
    ]
    container_usage = [
        ContainerUsage(
            c,
            dir_size(engine.containers.paths(c.id).upper),
            sum(1 for m in engine.containers.mounts(c.id) if m.type == "volume"),
        )
        for c in containers
    ]
    volumes = engine.volumes
    volume_usage = [
        VolumeUsage(v.name, len(volumes.table.users(v.name)), dir_size(volumes.data(v.name)))
        for v in volumes.table.all()
    ]
    cache = _cache_usage(engine, sizes, set(holders))
    active = [u for u in container_usage if u.row.status in ACTIVE]
    cache_size = sum(c.size for c in cache)
    summary = [
        DiskUsage(
            "Images",
            len(images),
            sum(1 for i in images if i.containers),
            sum(sizes.get(d, 0) for d in holders),
            sum(sizes.get(d, 0) for d in set(holders) - in_use),
        ),
        DiskUsage(
            "Containers",
            len(container_usage),
            len(active),
            sum(u.size for u in container_usage),
            sum(u.size for u in container_usage if u.row.status not in ACTIVE),
        ),
        DiskUsage(
            "Local Volumes",
            len(volume_usage),
            sum(1 for v in volume_usage if v.links),
            sum(v.size for v in volume_usage),
            sum(v.size for v in volume_usage if not v.links),
        ),
        DiskUsage(
            "Build Cache",
            len(cache),
            sum(1 for c in cache if c.in_use),
            cache_size,
            sum(c.size for c in cache if not c.in_use),
        ),
    ]
    return DiskUsageReport(summary, images, container_usage, volume_usage, cache, cache_size)


def _cache_usage(engine: Engine, sizes: dict[str, int], in_images: set[str]) -> list[CacheUsage]:
    counted: set[str] = set()
    out = []
    for key, created, last_used, layers, history in engine.store.meta.cache_records():
        own = [d for d in dict.fromkeys(layers) if d not in in_images and d not in counted]
        counted.update(own)
        shared = bool(layers) and layers[-1] in in_images
        steps = json.loads(history) or [{}]
        out.append(
            CacheUsage(
                key,
                sum(sizes.get(d, 0) for d in own),
                created,
                last_used,
                shared,
                str(steps[-1].get("created_by", "")),
            )
        )
    for mount in engine.store.cache_mounts.list():
        out.append(
            CacheUsage(
                mount.name,
                mount.size,
                mount.created,
                mount.last_used,
                False,
                f"cached mount {mount.id}",
                "exec.cachemount",
                mount.in_use,
            )
        )
    return out
