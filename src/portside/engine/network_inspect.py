"""Docker's JSON for networks: ``network inspect``'s object, and the NetworkSettings of a
container's ``inspect``, from the store's rows. Only shapes; what the rows say is
decided in engine/networks.py."""

from __future__ import annotations

from ..ids import sha256_hex
from ..store.networks import AttachmentRow, EndpointRow, NetworkRow
from .container_state import UP

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from typing import Any

    from ..store.containers import ContainerRow


def endpoint_id(network_id: str, container_id: str) -> str:
    return sha256_hex(f"{network_id}/{container_id}")


def _prefix(subnet: str) -> int:
    """The prefix length of a subnet as the store keeps it (``10.99.0.0/24``)."""
    return int(subnet.rpartition("/")[2])


def network_json(
    network: NetworkRow, endpoints: Iterable[EndpointRow], names: dict[str, str]
) -> dict[str, Any]:
    """Docker's network JSON; ``names``: container ID -> name, for Containers."""
    prefix = _prefix(network.subnet) if network.subnet else 0
    containers = {
        e.container_id: {
            "Name": names.get(e.container_id, ""),
            "EndpointID": endpoint_id(network.id, e.container_id),
            "MacAddress": e.mac,
            "IPv4Address": f"{e.ip}/{prefix}",
            "IPv6Address": "",
        }
        for e in endpoints
    }
    config = [{"Subnet": network.subnet, "Gateway": network.gateway}] if network.subnet else []
    # Options are the driver options a network was made with: none for a user network
    # (docker-compose recreates a network whose options differ from its file's), the
    # bridge's name for the default one, as Docker's docker0
    default = network.name == "bridge" and network.bridge
    options = {"com.docker.network.bridge.name": network.bridge} if default else {}
    return {
        "Name": network.name,
        "Id": network.id,
        "Created": network.created,
        "Scope": "local",
        "Driver": network.driver,
        "EnableIPv6": False,
        "IPAM": {"Driver": "default", "Options": {}, "Config": config},
        "Internal": network.internal,
        "Attachable": False,
        "Ingress": False,
        "ConfigFrom": {"Network": ""},
        "ConfigOnly": False,
        "Containers": containers,
        "Options": options,
        "Labels": network.labels or {},
    }


def settings(
    row: ContainerRow,
    attached: Sequence[tuple[NetworkRow | None, AttachmentRow | None]],
    live: Iterable[EndpointRow],
    builtin: frozenset[str],
) -> dict[str, Any]:
    """Docker's NetworkSettings: every network the container is on (``attached``, the
    network row and the attachment, the row None when the network is gone), with its
    ``live`` endpoint while it runs and empty addresses otherwise. Aliases are shown on
    networks whose names are not ``builtin``, as Docker's."""
    mode = row.host_config.get("NetworkMode") or "bridge"
    running = row.status in UP
    endpoints = {e.network_id: e for e in live}
    ports: dict[str, Any] = {}
    for endpoint in endpoints.values():
        ports.update(endpoint.ports)
    if running and not endpoints and mode != "none":
        ports = {key: None for key in row.config.get("ExposedPorts") or {}}
    networks: dict[str, Any] = {}
    for network, a in attached:
        e = endpoints.get(network.id) if network else None
        prefix = _prefix(network.subnet) if e and network else 0
        aliases = None
        if a is not None and a.network_name not in builtin:
            aliases = [*a.aliases, row.id[:12]] if e else list(a.aliases) or None
        networks[network.name if network else a.network_name if a else mode] = {
            "IPAMConfig": None,
            "Links": None,
            "Aliases": aliases,
            "NetworkID": network.id if network else "",
            "EndpointID": endpoint_id(network.id, row.id) if e and network else "",
            "Gateway": network.gateway if e and network else "",
            "IPAddress": e.ip if e else "",
            "IPPrefixLen": prefix,
            "IPv6Gateway": "",
            "GlobalIPv6Address": "",
            "GlobalIPv6PrefixLen": 0,
            "MacAddress": e.mac if e else "",
            "DriverOpts": None,
        }
    # the top-level fields repeat the default bridge's endpoint only, as Docker's do
    top = networks.get("bridge", {})
    return {
        "Bridge": "",
        "SandboxID": sha256_hex(row.id) if running else "",
        "HairpinMode": False,
        "LinkLocalIPv6Address": "",
        "LinkLocalIPv6PrefixLen": 0,
        "Ports": ports,
        "SandboxKey": f"/proc/{row.pid}/ns/net" if running and row.pid else "",
        "SecondaryIPAddresses": None,
        "SecondaryIPv6Addresses": None,
        "EndpointID": top.get("EndpointID", ""),
        "Gateway": top.get("Gateway", ""),
        "GlobalIPv6Address": "",
        "GlobalIPv6PrefixLen": 0,
        "IPAddress": top.get("IPAddress", ""),
        "IPPrefixLen": top.get("IPPrefixLen", 0),
        "IPv6Gateway": "",
        "MacAddress": top.get("MacAddress", ""),
        "Networks": networks,
    }
