"""Networks and the endpoints of containers on them.

The store's database says what should exist: networks (``bridge``, ``host`` and
``none`` always; later, user-defined ones) and one endpoint per running container on a
bridge network (its address and the host ports published to it). The host is made to
match: a network's Linux bridge exists while it has an endpoint, a container's veth pair
while it runs, and the store's nftables table is rewritten whole from the endpoints on
every start and stop (network/nat.py). So a container that dies without a word (its
monitor killed) leaves nothing behind once a command reconciles it.

Every call here runs under the store lock.
"""

from __future__ import annotations

import builtins
import hashlib
import ipaddress
import re
import secrets
import socket
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import Conflict, ContainerStartError, InvalidArgument, NotFound
from ..network import links, nat
from ..store.networks import EndpointRow, NetworkRow, NetworkTable
from ..timefmt import now_rfc3339

if TYPE_CHECKING:
    from ..store.containers import ContainerRow
    from ..store.store import Store

BUILTIN = (("bridge", "bridge"), ("host", "host"), ("none", "null"))
BUILTIN_NAMES = frozenset(name for name, _ in BUILTIN)
_NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_.-]*")
SUBNET_POOL = ipaddress.ip_network("10.99.0.0/16")  # /24s for bridges, first free one


class NetworkNotFound(NotFound):
    def __init__(self, ref: str) -> None:
        super().__init__(f"network {ref} not found")


class NetworkService:
    def __init__(self, store: Store, bundle: Callable[[str], Path] | None = None) -> None:
        self.store = store
        self.bundle = bundle  # a container's folder, where its /etc/hosts is
        self.table = NetworkTable(store.meta.conn)
        self.tag = hashlib.sha256(str(store.root.resolve()).encode()).hexdigest()[:10]

    # -- networks -----------------------------------------------------------------
    def _builtin(self) -> None:
        if self.table.by_name("bridge") is not None:
            return
        with self.store.lock, self.store.meta.transaction():
            if self.table.by_name("bridge") is not None:
                return
            for name, driver in BUILTIN:
                network_id = secrets.token_hex(32)
                bridge = self._bridge_name(network_id) if driver == "bridge" else ""
                row = NetworkRow(
                    network_id,
                    name,
                    driver,
                    bridge=bridge,
                    chosen_subnet=driver == "bridge",
                    created=now_rfc3339(),
                )
                self.table.add(row)

    def _bridge_name(self, network_id: str) -> str:
        # Linux allows 15 characters; the store's root is in it, so two stores differ
        return "ps" + hashlib.sha256(f"{self.tag}/{network_id}".encode()).hexdigest()[:11]

    def get(self, ref: str) -> NetworkRow:
        self._builtin()
        row = self.table.by_name(ref) or self.table.get(ref)
        if row is None:
            matches = [n for n in self.table.all() if n.id.startswith(ref)]
            row = matches[0] if len(matches) == 1 else None
        if row is None:
            raise NetworkNotFound(ref)
        return row

    def list(self) -> list[NetworkRow]:
        self._builtin()
        return sorted(self.table.all(), key=lambda n: n.name)

    def create(
        self,
        name: str,
        driver: str = "bridge",
        subnet: str = "",
        gateway: str = "",
        internal: bool = False,
        labels: dict[str, str] | None = None,
    ) -> NetworkRow:
        """``network create``: a bridge network; its bridge comes up with its first
        container. Docker's errors for a taken name, a foreign driver, a bad or
        overlapping subnet, a gateway outside it."""
        if not _NAME.fullmatch(name):
            raise InvalidArgument(
                f'invalid network name "{name}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed'
            )
        if driver != "bridge":
            raise NotFound(f'plugin "{driver}" not found')
        chosen = not subnet
        if subnet:
            try:
                net = ipaddress.ip_network(subnet, strict=False)
            except ValueError:
                raise InvalidArgument(f"invalid CIDR address: {subnet}") from None
            if net.version != 4:
                raise InvalidArgument(f"IPv6 subnets are not supported yet: {subnet}")
            if net.num_addresses < 4:
                raise InvalidArgument(f"subnet {subnet} is too small for a network")
            subnet = str(net)
            if gateway:
                try:
                    inside = ipaddress.ip_address(gateway) in net
                except ValueError:
                    inside = False
                if not inside:
                    raise InvalidArgument(f"no matching subnet for gateway {gateway}")
            else:
                gateway = str(next(net.hosts()))
        elif gateway:
            raise InvalidArgument("a gateway needs its --subnet")
        self._builtin()
        with self.store.lock:
            if self.table.by_name(name) is not None:
                raise Conflict(f"network with name {name} already exists")
            if subnet:
                mine = [ipaddress.ip_network(n.subnet) for n in self.table.all() if n.subnet]
                routes = [ipaddress.ip_network(r) for r in links.host_routes()]
                if _overlaps(ipaddress.ip_network(subnet), mine + routes):
                    raise Conflict("Pool overlaps with other one on this address space")
            network_id = secrets.token_hex(32)
            row = NetworkRow(
                network_id,
                name,
                "bridge",
                subnet,
                gateway,
                self._bridge_name(network_id),
                internal,
                chosen,
                now_rfc3339(),
                dict(labels or {}),
            )
            with self.store.meta.transaction():
                self.table.add(row)
            if chosen:  # pick its subnet now, so inspect shows it as Docker's does
                row = self._with_subnet(row)
        return row

    def remove(self, ref: str) -> NetworkRow:
        with self.store.lock:
            network = self.get(ref)
            if network.name in BUILTIN_NAMES:
                raise Conflict(f"{network.name} is a pre-defined network and cannot be removed")
            if self.table.endpoints(network.id):
                raise Conflict(
                    f"error while removing network: network {network.name} id {network.id} "
                    "has active endpoints"
                )
            with self.store.meta.transaction():
                self.table.remove(network.id)
            links.bridge_down(network.bridge)
        return network

    def prune(self) -> builtins.list[str]:
        """``network prune``: user-defined networks no container refers to."""
        from ..store.containers import ContainerTable

        removed = []
        with self.store.lock:
            rows = ContainerTable(self.store.meta.conn).all()
            in_use = {r.host_config.get("NetworkMode", "") for r in rows}
            for network in self.list():
                if network.name in BUILTIN_NAMES or network.name in in_use:
                    continue
                if self.table.endpoints(network.id):
                    continue
                self.remove(network.id)
                removed.append(network.name)
        return removed

    def inspect(self, network: NetworkRow, names: dict[str, str]) -> dict[str, Any]:
        """Docker's network JSON; ``names``: container ID -> name, for Containers."""
        prefix = ipaddress.ip_network(network.subnet).prefixlen if network.subnet else 0
        containers = {
            e.container_id: {
                "Name": names.get(e.container_id, ""),
                "EndpointID": _endpoint_id(network.id, e.container_id),
                "MacAddress": e.mac,
                "IPv4Address": f"{e.ip}/{prefix}",
                "IPv6Address": "",
            }
            for e in self.table.endpoints(network.id)
        }
        config = [{"Subnet": network.subnet, "Gateway": network.gateway}] if network.subnet else []
        options = {"com.docker.network.bridge.name": network.bridge} if network.bridge else {}
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

    # -- a container's endpoint -----------------------------------------------------
    def allocate(self, row: ContainerRow) -> EndpointRow | None:
        """An address and host ports for a container about to start on a bridge network
        (None for host, none and container: modes). Raises ContainerStartError (125)
        with Docker's words when a host port is taken."""
        mode = row.host_config.get("NetworkMode") or "bridge"
        if mode in ("host", "none") or mode.startswith("container:"):
            return None
        with self.store.lock:
            network = self._with_subnet(self.get(mode))
            taken = {e.ip for e in self.table.endpoints(network.id)}
            subnet = ipaddress.ip_network(network.subnet)
            ip = next(
                (
                    str(h)
                    for h in subnet.hosts()
                    if str(h) != network.gateway and str(h) not in taken
                ),
                None,
            )
            if ip is None:
                raise ContainerStartError(f"no available IPv4 addresses on network {mode}", 125)
            mac = "02:42:" + ":".join(f"{b:02x}" for b in ipaddress.ip_address(ip).packed)
            ports = self._host_ports(row)
            endpoint = EndpointRow(network.id, row.id, ip, mac, ports)
            with self.store.meta.transaction():
                self.table.remove_endpoints(row.id)
                self.table.add_endpoint(endpoint)
            return endpoint

    def plug(self, container_id: str, pid: int) -> None:
        """The container's veth pair into its namespace, and the NAT rules; on failure
        the endpoint is released."""
        endpoints = self.table.endpoints_of(container_id)
        try:
            for e in endpoints:
                network = self.table.get(e.network_id)
                assert network is not None
                subnet = ipaddress.ip_network(network.subnet)
                links.bridge_up(network.bridge, network.gateway, subnet.prefixlen)
                links.plug(
                    pid,
                    network.bridge,
                    _host_end(container_id),
                    e.ip,
                    subnet.prefixlen,
                    network.gateway,
                    e.mac,
                )
            self.sync()
            for e in endpoints:
                self._refresh_hosts(e.network_id)
        except (links.NetworkSetupError, OSError) as err:
            self.release(container_id)
            raise ContainerStartError(f"setting up the network failed: {err}", 125) from None

    def release(self, container_id: str) -> None:
        """The container's endpoints gone: its address and ports free, its rules out,
        its veth and any bridge left without endpoints deleted."""
        with self.store.lock:
            had = self.table.endpoints_of(container_id)
            if not had and not links.exists(_host_end(container_id)):
                return
            with self.store.meta.transaction():
                self.table.remove_endpoints(container_id)
            links.unplug(_host_end(container_id))
            self.sync()
            for e in had:
                self._refresh_hosts(e.network_id)

    def extra_hosts(self, row: ContainerRow) -> builtins.list[str]:
        """``--add-host`` entries with ``host-gateway`` made the address the host has
        on the container's bridge (the default bridge's, off a bridge), as Docker's."""
        entries = row.host_config.get("ExtraHosts") or []
        if not any(e.endswith(":host-gateway") for e in entries):
            return list(entries)
        found = self.endpoint(row.id)
        network = found[0] if found else self._with_subnet(self.get("bridge"))
        return [
            e.rpartition(":")[0] + ":" + network.gateway if e.endswith(":host-gateway") else e
            for e in entries
        ]

    def endpoint(self, container_id: str) -> tuple[NetworkRow, EndpointRow] | None:
        for e in self.table.endpoints_of(container_id):
            network = self.table.get(e.network_id)
            if network is not None:
                return network, e
        return None

    def settings(self, row: ContainerRow) -> dict[str, Any]:
        """Docker's NetworkSettings for ``inspect``: the live endpoint while the
        container runs, the network's name with empty addresses otherwise."""
        mode = row.host_config.get("NetworkMode") or "bridge"
        found = self.endpoint(row.id)
        network, e = found if found else (None, None)
        if network is None and not mode.startswith("container:"):
            try:
                network = self.get(mode)
            except NetworkNotFound:
                network = None
        ip = e.ip if e else ""
        prefix = ipaddress.ip_network(network.subnet).prefixlen if e and network else 0
        gateway = network.gateway if e and network else ""
        mac = e.mac if e else ""
        running = row.status in ("running", "paused")
        ports = e.ports if e else {}
        if running and not e and mode != "none":
            ports = {key: None for key in row.config.get("ExposedPorts") or {}}
        networks: dict[str, Any] = {}
        if network is not None:
            networks[network.name] = {
                "IPAMConfig": None,
                "Links": None,
                "Aliases": None,
                "NetworkID": network.id,
                "EndpointID": _endpoint_id(network.id, row.id) if e else "",
                "Gateway": gateway,
                "IPAddress": ip,
                "IPPrefixLen": prefix,
                "IPv6Gateway": "",
                "GlobalIPv6Address": "",
                "GlobalIPv6PrefixLen": 0,
                "MacAddress": mac,
                "DriverOpts": None,
            }
        # the top-level fields repeat the default bridge's endpoint only, as Docker's do
        top = networks.get("bridge", {})
        return {
            "Bridge": "",
            "SandboxID": hashlib.sha256(row.id.encode()).hexdigest() if running else "",
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

    def sync(self) -> None:
        """Make the host match the endpoints: bridges of networks in use up (the rest
        down), and the store's nft table rewritten."""
        endpoints = self.table.endpoints()
        used = {e.network_id for e in endpoints}
        bridges, forwards = [], []
        for network in self.table.all():
            if network.driver != "bridge" or not network.bridge:
                continue
            if network.id not in used:
                links.bridge_down(network.bridge)
                continue
            bridges.append(nat.Bridge(network.bridge, network.subnet, network.internal))
        for e in endpoints:
            forwards += _forwards(e)
        nat.apply(nat.render(f"portside_{self.tag}", bridges, forwards))

    # -- helpers --------------------------------------------------------------------
    def _refresh_hosts(self, network_id: str) -> None:
        """On a user-defined network, every running container's /etc/hosts names all
        the others (by container name) at their addresses; the default bridge has no
        names, as in Docker. Why files and not a DNS server: docs/networking.md."""
        network = self.table.get(network_id)
        if network is None or network.name == "bridge" or self.bundle is None:
            return
        from ..store.containers import ContainerTable
        from .hostfiles import hosts_text, rewrite_in_place

        table = ContainerTable(self.store.meta.conn)
        members = []
        for e in self.table.endpoints(network_id):
            row = table.get(e.container_id)
            if row is not None:
                members.append((e, row))
        for e, row in members:
            peers = [(o.ip, other.name) for o, other in members if o is not e]
            path = self.bundle(row.id) / "hosts"
            text = hosts_text(row.config["Hostname"], e.ip, peers, self.extra_hosts(row))
            try:
                rewrite_in_place(path, text)
            except OSError:
                pass  # its folder is going away with it

    def _with_subnet(self, network: NetworkRow) -> NetworkRow:
        """The network with a subnet that no host route overlaps. One portside chose
        moves while the network is unused (another tool may have taken it meanwhile)."""
        in_use = bool(self.table.endpoints(network.id))
        if network.subnet and (in_use or not network.chosen_subnet):
            return network
        routes = [ipaddress.ip_network(r, strict=False) for r in links.host_routes()]
        if network.subnet and links.exists(network.bridge):
            routes = [r for r in routes if str(r) != network.subnet]  # our own, stale
        if network.subnet and not _overlaps(ipaddress.ip_network(network.subnet), routes):
            return network
        mine = [
            ipaddress.ip_network(n.subnet)
            for n in self.table.all()
            if n.subnet and n.id != network.id
        ]
        for candidate in SUBNET_POOL.subnets(new_prefix=24):
            if not _overlaps(candidate, routes + mine):
                gateway = str(next(candidate.hosts()))
                with self.store.meta.transaction():
                    self.table.set_subnet(network.id, str(candidate), gateway)
                found = self.table.get(network.id)
                assert found is not None
                return found
        raise ContainerStartError(
            f"could not find an available, non-overlapping IPv4 address pool among the "
            f"defaults to assign to the network {network.name}",
            125,
        )

    def _host_ports(self, row: ContainerRow) -> dict[str, Any]:
        """NetworkSettings.Ports for the container: each exposed port, with the host
        ports it is published on (random ones chosen now), or None."""
        bindings: dict[str, list[dict[str, str]]] = dict(row.host_config.get("PortBindings") or {})
        exposed = list((row.config.get("ExposedPorts") or {}).keys())
        if row.host_config.get("PublishAllPorts"):
            for key in exposed:
                bindings.setdefault(key, [{"HostIp": "", "HostPort": ""}])
        taken = {
            (key.partition("/")[2], b["HostIp"], int(b["HostPort"]))
            for e in self.table.endpoints()
            if e.container_id != row.id
            for key, binds in e.ports.items()
            for b in binds or []
        }
        ports: dict[str, Any] = {key: None for key in exposed}
        for key in sorted(bindings):
            proto = key.partition("/")[2] or "tcp"
            chosen = []
            for b in bindings[key]:
                host_ip = b.get("HostIp") or "0.0.0.0"
                if ":" in host_ip:
                    raise ContainerStartError(
                        f"publishing on an IPv6 address ({host_ip}) is not supported yet", 125
                    )
                port = self._pick_port(row, proto, host_ip, b.get("HostPort") or "", taken)
                taken.add((proto, host_ip, port))
                chosen.append({"HostIp": host_ip, "HostPort": str(port)})
            ports[key] = chosen
        return ports

    def _pick_port(
        self,
        row: ContainerRow,
        proto: str,
        host_ip: str,
        wanted: str,
        taken: Iterable[tuple[str, str, int]],
    ) -> int:
        def clash(port: int) -> bool:
            return any(
                p == proto and n == port and (ip == host_ip or "0.0.0.0" in (ip, host_ip))
                for p, ip, n in taken
            )

        failed = (
            f"driver failed programming external connectivity on endpoint {row.name} ({row.id})"
        )
        if wanted and "-" not in wanted:
            port = int(wanted)
            if clash(port):
                raise ContainerStartError(
                    f"{failed}: Bind for {host_ip}:{port} failed: port is already allocated", 125
                )
            reason = _bind_error(proto, host_ip, port)
            if reason:
                raise ContainerStartError(
                    f"{failed}: Error starting userland proxy: listen {proto}4 "
                    f"{host_ip}:{port}: bind: {reason}",
                    125,
                )
            return port
        if wanted:
            low, _, high = wanted.partition("-")
            candidates = range(int(low), int(high) + 1)
        else:
            candidates = range(*_ephemeral_range())
        for port in candidates:
            if not clash(port) and not _bind_error(proto, host_ip, port):
                return port
        raise ContainerStartError(
            f"{failed}: Bind for {host_ip}:{wanted or '0'} failed: no free port in range", 125
        )


def _endpoint_id(network_id: str, container_id: str) -> str:
    return hashlib.sha256(f"{network_id}/{container_id}".encode()).hexdigest()


def _host_end(container_id: str) -> str:
    return "veth" + container_id[:11]


def _overlaps(candidate: Any, others: Iterable[Any]) -> bool:
    return any(candidate.overlaps(o) for o in others)


def _forwards(e: EndpointRow) -> list[nat.Forward]:
    out = []
    for key, binds in e.ports.items():
        port, _, proto = key.partition("/")
        for b in binds or []:
            out.append(nat.Forward(proto, b["HostIp"], int(b["HostPort"]), e.ip, int(port)))
    return out


def _ephemeral_range() -> tuple[int, int]:
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low, high = (int(x) for x in f.read().split())
    except (OSError, ValueError):
        low, high = 32768, 60999
    return low, high + 1


def _bind_error(proto: str, host_ip: str, port: int) -> str:
    """Why a process of the host could not listen there now ("" when it could): a port
    a host program holds would never see the forwarded traffic, as with Docker."""
    if proto == "sctp":
        return ""  # no SCTP socket to try without the sctp module loaded
    kind = socket.SOCK_DGRAM if proto == "udp" else socket.SOCK_STREAM
    try:
        with socket.socket(socket.AF_INET, kind) as s:
            if kind == socket.SOCK_STREAM:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((host_ip, port))
    except OSError as e:
        return (e.strerror or str(e)).lower()
    return ""
