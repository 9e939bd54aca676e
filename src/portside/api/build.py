"""``POST /build``: the request body is the context tar (often chunked), the query
the build's options; the output is Docker's JSON lines (``stream``, ``aux`` with the
image ID, ``errorDetail`` for a failure after the 200)."""

from __future__ import annotations

import io
import json
import queue
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..engine.builds import BuildOptions
from ..errors import PortsideError
from .server import BadRequest, Request


def build(req: Request) -> None:
    tags = tuple(req.query_all("t"))
    args = req.json_arg("buildargs")
    labels = req.json_arg("labels")
    if not isinstance(args, dict) or not isinstance(labels, dict):
        raise BadRequest("buildargs and labels must be JSON objects")
    dockerfile = req.query.get("dockerfile") or ""
    options = BuildOptions(
        dockerfile=Path(dockerfile) if dockerfile else None,
        context_archive=io.BytesIO(req.body()),
        tags=tags,
        build_args={str(k): None if v is None else str(v) for k, v in args.items()},
        target=req.query.get("target") or None,
        no_cache=req.flag("nocache"),
        labels={str(k): str(v) for k, v in labels.items()},
        network=req.query.get("networkmode") or "default",
        pull=req.flag("pull"),
    )
    quiet = req.flag("q")
    lines: queue.Queue[dict[str, Any] | None] = queue.Queue()

    def out(text: str) -> None:
        if not quiet:
            lines.put({"stream": text if text.endswith("\n") else text + "\n"})

    def run() -> None:
        engine = req.own_engine()
        try:
            image_id = engine.builds.build(options, out)
            lines.put({"aux": {"ID": image_id}})
            if quiet:
                lines.put({"stream": image_id + "\n"})
        except Exception as e:  # noqa: BLE001 - after the 200: an error line
            message = str(e) if isinstance(e, PortsideError) else f"{type(e).__name__}: {e}"
            lines.put({"errorDetail": {"message": message}, "error": message})
        finally:
            engine.close()
            lines.put(None)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()

    def body() -> Iterator[bytes]:
        while (item := lines.get()) is not None:
            yield json.dumps(item).encode() + b"\r\n"

    req.stream(body(), "application/json")
    worker.join()
