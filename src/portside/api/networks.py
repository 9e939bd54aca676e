"""``/networks...``: list, inspect, create, remove, prune, connect, disconnect, each
one engine call."""

from __future__ import annotations

from .server import BadRequest, Request

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import Any


def _names(req: Request) -> dict[str, str]:
    return {r.id: r.name for r in req.engine.containers.list(all=True)}


def list_(req: Request) -> None:
    networks = req.engine.networks
    names = _names(req)
    req.send_json([networks.inspect(n, names) for n in networks.list(req.filters() or None)])


def inspect(req: Request) -> None:
    networks = req.engine.networks
    req.send_json(networks.inspect(networks.get(req.params["id"]), _names(req)))


def create(req: Request) -> None:
    body = _object(req.json())
    ipam = (body.get("IPAM") or {}).get("Config") or [{}]
    network = req.engine.networks.create(
        body.get("Name") or "",
        body.get("Driver") or "bridge",
        ipam[0].get("Subnet") or "",
        ipam[0].get("Gateway") or "",
        bool(body.get("Internal")),
        body.get("Labels"),
    )
    req.send_json({"Id": network.id, "Warning": ""}, 201)


def remove(req: Request) -> None:
    req.engine.networks.remove(req.params["id"])
    req.send_empty()


def prune(req: Request) -> None:
    removed = req.engine.networks.prune(req.filters())
    req.send_json({"NetworksDeleted": removed or None})


def connect(req: Request) -> None:
    body = _object(req.json())
    aliases = (body.get("EndpointConfig") or {}).get("Aliases") or ()
    req.engine.containers.connect(req.params["id"], body.get("Container") or "", aliases)
    req.send_empty(200)


def disconnect(req: Request) -> None:
    body = _object(req.json())
    req.engine.containers.disconnect(req.params["id"], body.get("Container") or "")
    req.send_empty(200)


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object")
    return body
