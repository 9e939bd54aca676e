"""``GET /system/df`` from the engine's disk usage report, and ``/plugins/{name}/json``
(portside has no plugins: always Docker's 404 for a missing one)."""

from __future__ import annotations

from ..errors import NotFound
from ..timefmt import parse_rfc3339
from .server import Request


def disk_usage(req: Request) -> None:
    engine = req.engine
    report = engine.system.disk_usage()
    layers = sum(s.size for s in report.summary if s.type == "Images")
    containers = []
    for c in report.containers:
        row = c.row
        containers.append(
            {
                "Id": row.id,
                "Names": ["/" + row.name],
                "Image": row.image_ref or row.image_id,
                "ImageID": row.image_id,
                "Created": int(parse_rfc3339(row.created) or 0),
                "State": row.status,
                "SizeRw": c.size,
                "SizeRootFs": c.size,
            }
        )
    req.send_json(
        {
            "LayersSize": layers,
            "Images": [
                {
                    "Id": i.id,
                    "RepoTags": i.repo_tags,
                    "Created": int(parse_rfc3339(i.created) or 0),
                    "Size": i.size,
                    "SharedSize": i.shared_size,
                    "Containers": i.containers,
                }
                for i in report.images
            ],
            "Containers": containers,
            "Volumes": [
                {
                    "Name": v.name,
                    "Driver": "local",
                    "UsageData": {"Size": v.size, "RefCount": v.links},
                }
                for v in report.volumes
            ],
            "BuildCache": [
                {
                    "ID": b.key,
                    "Size": b.size,
                    "Shared": b.shared,
                    "Description": b.description,
                    "InUse": False,
                    "Type": "regular",
                }
                for b in report.cache
            ],
        }
    )


def plugin(req: Request) -> None:
    raise NotFound(f'plugin "{req.params["name"]}" not found')
