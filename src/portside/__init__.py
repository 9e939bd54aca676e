"""portside: a daemonless, Docker-compatible container engine.

    import portside
    client = portside.from_env()          # or portside.Client(root="/tmp/store")
    for image in client.images.list():
        print(image.short_id, image.tags)

Names follow docker-py's high-level API. Imports are lazy, so ``portside --version``
stays instant.
"""

from __future__ import annotations

from .version import __version__

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs ~5 ms at start-up
if TYPE_CHECKING:
    from typing import Any

    from .client import Client, from_env
    from .errors import (
        Conflict,
        ContainerError,
        ContainerNotFound,
        DockerfileError,
        ImageNotFound,
        InvalidArchive,
        InvalidArgument,
        InvalidReference,
        NotFound,
        PortsideError,
    )

__all__ = [
    "Client",
    "Conflict",
    "ContainerError",
    "ContainerNotFound",
    "DockerfileError",
    "ImageNotFound",
    "InvalidArchive",
    "InvalidArgument",
    "InvalidReference",
    "NotFound",
    "PortsideError",
    "__version__",
    "from_env",
]

_LAZY = {
    "Client": "client",
    "from_env": "client",
    "Conflict": "errors",
    "ContainerError": "errors",
    "ContainerNotFound": "errors",
    "DockerfileError": "errors",
    "ImageNotFound": "errors",
    "InvalidArchive": "errors",
    "InvalidArgument": "errors",
    "InvalidReference": "errors",
    "NotFound": "errors",
    "PortsideError": "errors",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'portside' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"portside.{module}"), name)
