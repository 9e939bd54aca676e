"""``/images/...``: list, inspect, tag, remove, and pull (``/images/create``) with
Docker's JSON-line progress."""

from __future__ import annotations

import json
from collections.abc import Callable

from ..engine.references import familiar
from ..progress import LayerProgress
from ..timefmt import parse_rfc3339
from .registry_auth import credential
from .server import BadRequest, Request

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import Any

    from ..engine import Engine


def list_(req: Request) -> None:
    images = req.engine.images.list(all=req.flag("all"), filters=req.filters() or None)
    req.send_json(
        [
            {
                "Id": i.id,
                "ParentId": i.parent,
                "RepoTags": [familiar(t) for t in i.repo_tags],
                "RepoDigests": [familiar(d) for d in i.repo_digests],
                "Created": int(parse_rfc3339(i.created) or 0),
                "Size": i.size,
                "VirtualSize": i.size,
                "SharedSize": -1,
                "Labels": i.labels,
                "Containers": -1,
            }
            for i in images
        ]
    )


def inspect(req: Request) -> None:
    data = req.engine.images.inspect(req.params["name"])
    driver = data.get("GraphDriver") or {}
    # Docker's Data is a map of strings (LowerDir "a:b"); the engine keeps lists
    driver["Data"] = {
        k.removesuffix("s") if isinstance(v, list) else k: ":".join(v) if isinstance(v, list) else v
        for k, v in (driver.get("Data") or {}).items()
    }
    req.send_json(data)


def tag(req: Request) -> None:
    repo = req.query.get("repo") or ""
    if not repo:
        raise BadRequest("repository name must have at least one component")
    name = f"{repo}:{req.query['tag']}" if req.query.get("tag") else repo
    req.engine.images.tag(req.params["name"], name)
    req.send_empty(201)


def remove(req: Request) -> None:
    report = req.engine.images.remove(req.params["name"], force=req.flag("force"))
    req.send_json(
        [{"Untagged": name} for name in report.untagged]
        + [{"Deleted": image_id} for image_id in report.deleted]
    )


class JSONProgress(LayerProgress):
    """Pull progress as Docker's JSON objects, handed to ``put``."""

    def __init__(self, put: Any) -> None:
        super().__init__(lambda text: None)
        self.put = put

    def line(self, text: str) -> None:
        self.put({"status": text})

    def status(self, layer: str, text: str) -> None:
        self.put({"status": text, "progressDetail": {}, "id": layer})

    def bytes(self, layer: str, text: str, done: int, total: int) -> None:
        detail = {"current": done, "total": total}
        self.put({"status": text, "progressDetail": detail, "id": layer})


def push(req: Request) -> None:
    """``POST /images/{name}/push``, with the ``X-Registry-Auth`` login when one is
    sent (else the one Docker keeps, as for ``portside push``)."""
    login = credential(req)
    name = req.params["name"]
    tag_ = req.query.get("tag") or ""
    if tag_:
        name = f"{name}:{tag_}"
    req.engine.images.inspect(name)  # a missing one: 404 before the 200

    def work(engine: Engine, put: Callable[[dict[str, Any]], None]) -> None:
        digest = engine.registry.push(name, JSONProgress(put), credential=login)
        put({"progressDetail": {}, "aux": {"Tag": tag_ or "latest", "Digest": digest}})

    req.stream_work(work)


def create(req: Request) -> None:
    """A pull (``fromImage``, ``tag``; the ``X-Registry-Auth`` login when one is sent)
    or an import (``fromSrc=-``: the body is a rootfs tar)."""
    source = req.query.get("fromSrc")
    if source is not None:
        import_(req, source)
        return
    image = req.query.get("fromImage") or ""
    if not image:
        raise BadRequest("fromImage or fromSrc is required")
    tag_ = req.query.get("tag") or ""
    if tag_:
        image = f"{image}@{tag_}" if tag_.startswith("sha256:") else f"{image}:{tag_}"
    login = credential(req)
    req.stream_work(
        lambda engine, put: engine.registry.pull(image, JSONProgress(put), credential=login)
    )


def import_(req: Request, source: str) -> None:
    """``docker import``: ``fromSrc=-`` with the tar as the body (streamed into the
    engine's import), ``repo``/``tag``, ``changes`` (repeated) and ``message``; Docker's
    answer, the image ID as a status line."""
    if source != "-":
        raise BadRequest(
            f"importing from a URL ({source}) is not supported: send the tar as the body "
            "with fromSrc=-"
        )
    repo = req.query.get("repo") or ""
    tag_ = req.query.get("tag") or ""
    reference = (f"{repo}:{tag_}" if tag_ else repo) or None
    image_id = req.engine.image_io.import_image(
        req.body_stream(),
        reference,
        [c for c in req.query_all("changes") if c.strip()],
        req.query.get("message") or "",
    )
    req.send(200, json.dumps({"status": image_id}).encode() + b"\r\n", "application/json")


def history(req: Request) -> None:
    req.send_json(
        [
            {
                "Id": e.id,
                "Created": int(parse_rfc3339(e.created) or 0),
                "CreatedBy": e.created_by,
                "Tags": None,
                "Size": e.size,
                "Comment": e.comment,
            }
            for e in req.engine.images.history(req.params["name"])
        ]
    )


def save(req: Request) -> None:
    """``GET /images/get?names=`` and ``/images/{name}/get``: a docker-archive tar."""
    names = [req.params["name"]] if "name" in req.params else req.query_all("names")
    if not names:
        raise BadRequest("names is required")
    engine = req.engine
    for name in names:
        engine.images.inspect(name)  # a missing one: 404 before the 200
    with req.writer("application/x-tar") as out:
        engine.image_io.save(names, out)  # type: ignore[arg-type]


def load(req: Request) -> None:
    """``POST /images/load``: the body streams into the engine's load (constant memory;
    a body cut short leaves nothing in the store)."""
    loaded = req.engine.image_io.load(req.body_stream())
    lines = []
    for image in loaded:
        for tag in image.tags:
            lines.append({"stream": f"Loaded image: {tag}\n"})
        if not image.tags:
            lines.append({"stream": f"Loaded image ID: {image.id}\n"})
    body = b"".join(json.dumps(line).encode() + b"\r\n" for line in lines)
    req.send(200, body, "application/json")


def prune(req: Request) -> None:
    every = req.filters().get("dangling") in (["false"], ["0"])
    report = req.engine.images.prune(all=every)
    deleted = [
        *({"Untagged": name} for item in report.items for name in item.untagged),
        *({"Deleted": image_id} for item in report.items for image_id in item.deleted),
    ]
    req.send_json({"ImagesDeleted": deleted or None, "SpaceReclaimed": report.reclaimed})
