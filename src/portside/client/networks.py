"""``client.networks``: docker-py's network collection (create, get, list, remove, prune)
and a network's ``connect``/``disconnect``."""

from __future__ import annotations

import builtins

from ..engine import Engine
from .model import Model

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import Any


class Network(Model):
    """A network, as docker-py's ``Network``: ``id``, ``name``, ``containers``, ``attrs``."""

    collection: NetworkCollection

    @property
    def name(self) -> str:
        return str(self.attrs["Name"])

    @property
    def containers(self) -> builtins.list[str]:
        """IDs of the containers running on it."""
        return list(self.attrs.get("Containers") or {})

    def reload(self) -> None:
        self.attrs = self.collection.get(self.id).attrs

    def remove(self) -> None:
        self.collection.engine.networks.remove(self.id)

    def connect(self, container: Any, aliases: builtins.list[str] | None = None) -> None:
        """Put a container (a ``Container`` or its ID or name) on this network; a running
        one gets its interface at once."""
        self.collection.engine.containers.connect(self.id, _container_ref(container), aliases or ())

    def disconnect(self, container: Any, force: bool = False) -> None:
        self.collection.engine.containers.disconnect(self.id, _container_ref(container))


def _container_ref(container: Any) -> str:
    return container if isinstance(container, str) else str(container.id)


class NetworkCollection:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _attrs(self, ref: str) -> dict[str, Any]:
        network = self.engine.networks.get(ref)
        names = {r.id: r.name for r in self.engine.containers.list(all=True)}
        return self.engine.networks.inspect(network, names)

    def get(self, network_id: str) -> Network:
        return Network(self._attrs(network_id), self)

    def create(
        self,
        name: str,
        driver: str | None = None,
        ipam: dict[str, Any] | None = None,
        internal: bool = False,
        labels: dict[str, str] | None = None,
    ) -> Network:
        """docker-py's arguments; ``ipam={"Config": [{"Subnet": …, "Gateway": …}]}``
        (an ``IPAMConfig``'s dict form) picks the subnet."""
        config = ((ipam or {}).get("Config") or [{}])[0]
        row = self.engine.networks.create(
            name,
            driver or "bridge",
            config.get("Subnet", "") or config.get("subnet", ""),
            config.get("Gateway", "") or config.get("gateway", ""),
            internal,
            labels,
        )
        return self.get(row.id)

    def list(self, names: builtins.list[str] | None = None) -> builtins.list[Network]:
        rows = self.engine.networks.list()
        return [self.get(n.id) for n in rows if not names or n.name in names]

    def prune(self) -> dict[str, Any]:
        return {"NetworksDeleted": self.engine.networks.prune() or None}
