"""``GET /events``: the store's event journal (engine/events.py) as Docker's JSON lines,
between ``since`` and ``until``, or followed until the client goes away."""

from __future__ import annotations

import json

from ..errors import InvalidArgument
from .server import BadRequest, Request


def events(req: Request) -> None:
    from ..engine.events import EventOptions

    options = EventOptions(
        since=_time(req, "since"), until=_time(req, "until"), filters=req.filters()
    )
    try:
        found = req.engine.events.read(options, req.client_gone)  # checks the filters
    except InvalidArgument as e:
        raise BadRequest(str(e)) from None
    lines = (json.dumps(event.docker_json()).encode() + b"\n" for event in found)
    req.stream(lines, "application/json")


def _time(req: Request, name: str) -> float | None:
    """Docker's clients send Unix times (``1700000000.000000001``)."""
    text = req.query.get(name)
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise BadRequest(f"invalid value for {name}: {text!r}") from None
