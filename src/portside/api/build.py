"""``POST /build``: the request body is the context tar (often chunked), the query
the build's options; the output is Docker's JSON lines (``stream``, ``aux`` with the
image ID, ``errorDetail`` for a failure after the 200)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..engine.builds import BuildOptions, parse_platform
from .registry_auth import build_credentials
from .server import BadRequest, Request

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import Any

    from ..engine import Engine


def build(req: Request) -> None:
    tags = tuple(req.query_all("t"))
    args = req.json_arg("buildargs")
    labels = req.json_arg("labels")
    if not isinstance(args, dict) or not isinstance(labels, dict):
        raise BadRequest("buildargs and labels must be JSON objects")
    dockerfile = req.query.get("dockerfile") or ""
    platform = req.query.get("platform") or ""
    options = BuildOptions(
        dockerfile=Path(dockerfile) if dockerfile else None,
        context_archive=req.body_stream(),  # unpacked as it streams in
        tags=tags,
        build_args={str(k): None if v is None else str(v) for k, v in args.items()},
        target=req.query.get("target") or None,
        no_cache=req.flag("nocache"),
        labels={str(k): str(v) for k, v in labels.items()},
        network=req.query.get("networkmode") or "default",
        pull=req.flag("pull"),
        platform=parse_platform(platform) if platform else None,
        add_hosts=tuple(req.query_all("extrahosts")),  # repeated, as Docker's client sends it
        registry_auth=build_credentials(req),
    )
    quiet = req.flag("q")

    def run(engine: Engine, put: Callable[[dict[str, Any]], None]) -> None:
        def out(text: str) -> None:
            if not quiet:
                put({"stream": text if text.endswith("\n") else text + "\n"})

        image_id = engine.builds.build(options, out)
        put({"aux": {"ID": image_id}})
        if quiet:
            put({"stream": image_id + "\n"})

    req.stream_work(run)
