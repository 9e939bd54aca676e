"""The Python library, named after docker-py's high-level API so users can switch.

client = portside.from_env()              # PORTSIDE_ROOT or /var/lib/portside
client = portside.Client(root="/tmp/s")   # an explicit store
image = client.images.get("busybox")      # images.py
out = client.containers.run("busybox", "echo hi", remove=True)   # b"hi\n" (containers.py)
client.networks.create("net"); client.volumes.create("data")     # networks.py, volumes.py
for event in client.events(decode=True): ...                     # follows, as docker-py's
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from datetime import datetime

from ..config import Settings
from ..engine import Engine
from .containers import ContainerCollection
from .images import ImageCollection
from .networks import NetworkCollection
from .volumes import VolumeCollection

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import Any

__all__ = ["Client", "DockerClient", "from_env"]


class Client:
    """One store, and the collections that work on it (``client.images``)."""

    def __init__(
        self,
        root: str | os.PathLike[str] | None = None,
        runroot: str | os.PathLike[str] | None = None,
        environment: Mapping[str, str] | None = None,
        config: str | None = None,
    ) -> None:
        """``config``: a configuration file (config_file.py) instead of the default."""
        settings = Settings.from_env(
            root, runroot, os.environ if environment is None else environment, config
        )
        self.engine = Engine(settings)
        self.images = ImageCollection(self.engine)
        self.containers = ContainerCollection(self.engine, self.images)
        self.networks = NetworkCollection(self.engine)
        self.volumes = VolumeCollection(self.engine)

    @classmethod
    def from_env(
        cls,
        version: str | None = None,
        timeout: int = 60,
        max_pool_size: int = 10,
        environment: Mapping[str, str] | None = None,
        use_ssh_client: bool = False,
    ) -> Client:
        """docker-py's ``from_env``: the store that PORTSIDE_ROOT (and PORTSIDE_RUNROOT)
        in ``environment`` (the process's by default) name. The connection settings
        docker-py takes mean nothing without a daemon to connect to, and are ignored."""
        return cls(environment=environment)

    def version(self) -> dict[str, Any]:
        return self.engine.system.version()

    def login(
        self, username: str, password: str, registry: str | None = None, save: bool = False
    ) -> dict[str, str]:
        """docker-py's ``login``: checked against the registry and used by this client's
        pulls and pushes; kept where ``docker login`` keeps it only with ``save``."""
        self.engine.registry.login(registry, username, password, save=save)
        return {"IdentityToken": "", "Status": "Login Succeeded"}

    def info(self) -> dict[str, Any]:
        return self.engine.system.info()

    def events(
        self,
        since: datetime | float | None = None,
        until: datetime | float | None = None,
        filters: Mapping[str, str | list[str]] | None = None,
        decode: bool | None = None,
    ) -> Iterator[Any]:
        """docker-py's ``events``: Docker's messages (dicts with ``decode``, JSON bytes
        otherwise) between ``since`` and ``until``; without ``until`` it follows new
        ones for as long as the caller iterates."""
        from ..engine.events import EventOptions

        def seconds(value: datetime | float | None) -> float | None:
            return value.timestamp() if isinstance(value, datetime) else value

        wanted = {k: [v] if isinstance(v, str) else list(v) for k, v in (filters or {}).items()}
        options = EventOptions(seconds(since), seconds(until), wanted)
        for event in self.engine.events.read(options):
            message = event.docker_json()
            yield message if decode else json.dumps(message).encode()

    def close(self) -> None:
        self.engine.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


from_env = Client.from_env  # a client for the store PORTSIDE_ROOT names, as docker-py's

DockerClient = Client  # docker-py's name for it
