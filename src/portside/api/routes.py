"""The route table: METHOD + Docker's path template -> handler, each also under
``/vX.Y``. ``{id}`` is one path segment; ``{name}`` (an image) may hold slashes."""

from __future__ import annotations

import re
from collections.abc import Callable
from importlib import import_module

from ..errors import NotFound

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import Any

    Handler = Callable[[Any], None]  # takes a server.Request

# (method, template, module, function); modules are imported when first routed to
ROUTES: tuple[tuple[str, str, str, str], ...] = (
    ("GET", "/_ping", "system", "ping"),
    ("HEAD", "/_ping", "system", "ping"),
    ("GET", "/version", "system", "version"),
    ("GET", "/info", "system", "info"),
    ("GET", "/system/df", "system_df", "disk_usage"),
    ("GET", "/events", "events", "events"),
    ("GET", "/plugins/{name}/json", "system_df", "plugin"),
    ("POST", "/containers/create", "containers", "create"),
    ("GET", "/containers/json", "containers", "list_"),
    ("POST", "/containers/prune", "containers", "prune"),
    ("GET", "/containers/{id}/json", "containers", "inspect"),
    ("POST", "/containers/{id}/start", "attach", "start"),
    ("POST", "/containers/{id}/stop", "containers", "stop"),
    ("POST", "/containers/{id}/kill", "containers", "kill"),
    ("POST", "/containers/{id}/restart", "containers", "restart"),
    ("POST", "/containers/{id}/pause", "containers", "pause"),
    ("POST", "/containers/{id}/unpause", "containers", "unpause"),
    ("POST", "/containers/{id}/wait", "containers", "wait"),
    ("GET", "/containers/{id}/logs", "containers", "logs"),
    ("POST", "/containers/{id}/attach", "attach", "attach"),
    ("POST", "/containers/{id}/resize", "attach", "resize"),
    ("POST", "/containers/{id}/exec", "execs", "create"),
    ("POST", "/exec/{id}/start", "execs", "start"),
    ("GET", "/exec/{id}/json", "execs", "inspect"),
    ("POST", "/exec/{id}/resize", "execs", "resize"),
    ("POST", "/containers/{id}/rename", "containers", "rename"),
    ("GET", "/containers/{id}/top", "containers", "top"),
    ("GET", "/containers/{id}/changes", "containers", "changes"),
    ("GET", "/containers/{id}/stats", "containers", "stats"),
    ("GET", "/containers/{id}/export", "containers", "export"),
    ("HEAD", "/containers/{id}/archive", "containers", "archive_head"),
    ("GET", "/containers/{id}/archive", "containers", "archive_get"),
    ("PUT", "/containers/{id}/archive", "containers", "archive_put"),
    ("POST", "/commit", "containers", "commit"),
    ("DELETE", "/containers/{id}", "containers", "remove"),
    ("POST", "/build", "build", "build"),
    ("GET", "/images/json", "images", "list_"),
    ("GET", "/images/get", "images", "save"),
    ("POST", "/images/load", "images", "load"),
    ("POST", "/images/prune", "images", "prune"),
    ("POST", "/images/create", "images", "create"),
    ("GET", "/images/{name}/json", "images", "inspect"),
    ("GET", "/images/{name}/history", "images", "history"),
    ("GET", "/images/{name}/get", "images", "save"),
    ("POST", "/images/{name}/tag", "images", "tag"),
    ("POST", "/images/{name}/push", "images", "push"),
    ("DELETE", "/images/{name}", "images", "remove"),
    ("GET", "/networks", "networks", "list_"),
    ("POST", "/networks/create", "networks", "create"),
    ("POST", "/networks/prune", "networks", "prune"),
    ("GET", "/networks/{id}", "networks", "inspect"),
    ("DELETE", "/networks/{id}", "networks", "remove"),
    ("POST", "/networks/{id}/connect", "networks", "connect"),
    ("POST", "/networks/{id}/disconnect", "networks", "disconnect"),
    ("GET", "/volumes", "volumes", "list_"),
    ("POST", "/volumes/create", "volumes", "create"),
    ("POST", "/volumes/prune", "volumes", "prune"),
    ("GET", "/volumes/{name}", "volumes", "inspect"),
    ("DELETE", "/volumes/{name}", "volumes", "remove"),
)

_VERSION = re.compile(r"^/v[0-9]+\.[0-9]+(?=/)")


def _pattern(template: str) -> re.Pattern[str]:
    text = re.escape(template)
    text = text.replace(r"\{id\}", "(?P<id>[^/]+)").replace(r"\{name\}", "(?P<name>.+)")
    return re.compile(f"^{text}$")


_COMPILED = [(method, _pattern(t), module, fn) for method, t, module, fn in ROUTES]


class PageNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("page not found")


def resolve(method: str, path: str) -> tuple[Handler, dict[str, str]]:
    """The handler for ``method path`` and the path's parameters; 404 when none."""
    from urllib.parse import unquote

    path = _VERSION.sub("", path, count=1)
    for route_method, pattern, module, fn in _COMPILED:
        if route_method != method:
            continue
        match = pattern.match(path)
        if match:
            params = {k: unquote(v) for k, v in match.groupdict().items()}
            handler: Handler = getattr(import_module(f"portside.api.{module}"), fn)
            return handler, params
    raise PageNotFound()
