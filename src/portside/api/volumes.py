"""``/volumes...``: list, create, inspect, remove, prune, each one engine call."""

from __future__ import annotations

from .server import BadRequest, Request


def list_(req: Request) -> None:
    volumes = req.engine.volumes
    rows = volumes.list(req.filters() or None)
    req.send_json({"Volumes": [volumes.inspect(v) for v in rows], "Warnings": []})


def create(req: Request) -> None:
    body = req.json()
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object")
    volumes = req.engine.volumes
    row = volumes.create(body.get("Name") or "", body.get("Driver") or "local", body.get("Labels"))
    req.send_json(volumes.inspect(row), 201)


def inspect(req: Request) -> None:
    volumes = req.engine.volumes
    req.send_json(volumes.inspect(volumes.get(req.params["name"])))


def remove(req: Request) -> None:
    req.engine.volumes.remove(req.params["name"], force=req.flag("force"))
    req.send_empty()


def prune(req: Request) -> None:
    every = req.filters().get("all") in (["true"], ["1"])
    removed, freed = req.engine.volumes.prune(all=every)
    req.send_json({"VolumesDeleted": removed or None, "SpaceReclaimed": freed})
