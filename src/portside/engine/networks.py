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
import subprocess
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import Conflict, ContainerStartError, InvalidArgument, NetworkNotFound, NotFound
from ..network import host_firewall, links, nat
from ..processes import alive
from ..records import replace
from ..store.networks import AttachmentRow, EndpointRow, NetworkRow, NetworkTable
from ..timefmt import now_rfc3339
from . import network_filters
from .container_state import UP

if TYPE_CHECKING:
    from ..store.containers import ContainerRow
    from ..store.store import Store

BUILTIN = (("bridge", "bridge"), ("host", "host"), ("none", "null"))
BUILTIN_NAMES = frozenset(name for name, _ in BUILTIN)
_NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_.-]*")
SUBNET_POOL = ipaddress.ip_network("10.99.0.0/16")  # /24s for bridges, first free one
ALIAS_ONLY_USER_DEFINED = (
    "network-scoped alias is supported only for containers in user defined networks"
)
HOST_NETWORK_FIXED = (
    "container cannot be disconnected from host network or connected to host network"
)


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
                if name == "bridge":
                    self.table.attach_unattached(row)

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

    def list(self, filters: dict[str, builtins.list[str]] | None = None) -> list[NetworkRow]:
        """By name; ``filters`` as ``network ls --filter`` (engine/network_filters.py)."""
        self._builtin()
        filters = filters or {}
        network_filters.check(filters)
        rows = sorted(self.table.all(), key=lambda n: n.name)
        return [
            n
            for n in rows
            if network_filters.matches(
                n,
                filters,
                "dangling" in filters and bool(self.table.attached(n.id)),
                n.name in BUILTIN_NAMES,
            )
        ]

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
            _bridge_down(network.bridge)
        return network

    def prune(self) -> builtins.list[str]:
        """``network prune``: user-defined networks no container refers to."""
        removed = []
        with self.store.lock:
            for network in self.list():
                if network.name in BUILTIN_NAMES or self.table.attached(network.id):
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

    # -- the networks a container is on --------------------------------------------------
    def first_attachment(
        self, container_id: str, mode: str, aliases: Sequence[str] = ()
    ) -> AttachmentRow | None:
        """What ``create`` records of ``--network`` and ``--network-alias``: the network
        a container starts on (None for host, none and container: modes)."""
        user_defined = mode not in BUILTIN_NAMES and not mode.startswith("container:")
        if aliases and not user_defined:
            raise InvalidArgument(ALIAS_ONLY_USER_DEFINED)
        if mode in ("host", "none") or mode.startswith("container:"):
            return None
        network = self.get(mode)
        return AttachmentRow(container_id, network.id, network.name, 0, _unique(aliases))

    def connect(self, ref: str, row: ContainerRow, aliases: Sequence[str] = ()) -> None:
        """``network connect``: the container joins a network, a stopped one at its
        next start, a running one now (a new interface, eth1 and on, plugged into its
        namespace). ``row`` is reconciled: its status is the truth."""
        with self.store.lock:
            network = self.get(ref)
            _check_joinable(row.host_config.get("NetworkMode") or "bridge", network)
            if aliases and network.name in BUILTIN_NAMES:
                raise InvalidArgument(ALIAS_ONLY_USER_DEFINED)
            current = self.table.attachments_of(row.id)
            if any(a.network_id == network.id for a in current):
                raise Conflict(
                    f"endpoint with name {row.name} already exists in network {network.name}"
                )
            seq = max((a.seq for a in current), default=-1) + 1
            attachment = AttachmentRow(row.id, network.id, network.name, seq, _unique(aliases))
            with self.store.meta.transaction():
                self.table.attach(attachment)
            if row.status not in UP or not row.pid:
                return
            try:
                endpoints = self.table.endpoints_of(row.id)
                # past the last one, so the order of names stays the order of joining
                last = max((int(e.iface[3:]) for e in endpoints), default=-1)
                iface = f"eth{last + 1}"
                network = self._with_subnet(network)
                endpoint = self._new_endpoint(row.id, network, {}, iface)
                with self.store.meta.transaction():
                    self.table.add_endpoint(endpoint)
                self._plug_one(
                    row.pid, network, endpoint, default_route=not self._routed(endpoints)
                )
                self.sync()
                self._refresh_hosts({e.network_id for e in endpoints} | {network.id})
            except BaseException as err:
                self._disconnect_locked(row, network)
                if isinstance(err, (links.NetworkSetupError, OSError)):
                    raise ContainerStartError(
                        f"connecting to network {network.name} failed: {err}", 1
                    ) from None
                raise

    def disconnect(self, ref: str, row: ContainerRow) -> None:
        """``network disconnect``: off the network, its interface gone if it runs."""
        with self.store.lock:
            network = self.get(ref)
            if network.driver == "host" or row.host_config.get("NetworkMode") == "host":
                raise Conflict(HOST_NETWORK_FIXED)
            if not any(a.network_id == network.id for a in self.table.attachments_of(row.id)):
                raise Conflict(f"container {row.id} is not connected to network {network.name}")
            self._disconnect_locked(row, network)

    def _disconnect_locked(self, row: ContainerRow, network: NetworkRow) -> None:
        endpoints = self.table.endpoints_of(row.id)
        gone = [e for e in endpoints if e.network_id == network.id]
        left = [e for e in endpoints if e.network_id != network.id]
        others = {e.network_id for e in left}
        with self.store.meta.transaction():
            self.table.detach(row.id, network.id)
            self.table.remove_endpoints(row.id, network.id)
        links.unplug(_host_end(row.id, network.id))
        carrier = self._route_carrier(endpoints)
        if gone and row.pid and carrier and carrier[0] == gone[0]:
            # the default route left with it: the next network that can carry it does
            heir = self._route_carrier(left)
            if heir is not None:
                try:
                    links.default_route(row.pid, heir[1].gateway, heir[0].iface)
                except links.NetworkSetupError:
                    pass  # the container is exiting meanwhile
        self.sync()
        self._refresh_hosts(others | {network.id}, also=[row.id])

    def networks_of(self, row: ContainerRow) -> builtins.list[str]:
        """The names and IDs of the networks a container is on, in the order it joined
        them (what ``ps --filter network=`` matches)."""
        mode = row.host_config.get("NetworkMode") or "bridge"
        if mode in ("host", "none"):
            network = self.get(mode)
            return [network.name, network.id]
        return [
            x for a in self.table.attachments_of(row.id) for x in (a.network_name, a.network_id)
        ]

    # -- a container's endpoints ------------------------------------------------------
    def allocate(self, row: ContainerRow) -> builtins.list[EndpointRow]:
        """An endpoint (address, interface) on each network of a container about to
        start; the first one gets its published ports. None for host, none and
        container: modes. Raises ContainerStartError (125) with Docker's words when a
        host port is taken or a network is gone."""
        mode = row.host_config.get("NetworkMode") or "bridge"
        if mode in ("host", "none") or mode.startswith("container:"):
            return []
        with self.store.lock:
            networks = [
                self._with_subnet(self._attached(a)) for a in self.table.attachments_of(row.id)
            ]
            ports = self._host_ports(row) if networks else {}
            with self.store.meta.transaction():
                self.table.remove_endpoints(row.id)
                endpoints = []
                for n, network in enumerate(networks):
                    e = self._new_endpoint(row.id, network, ports if n == 0 else {}, f"eth{n}")
                    self.table.add_endpoint(e)
                    endpoints.append(e)
            return endpoints

    def _attached(self, a: AttachmentRow) -> NetworkRow:
        network = self.table.get(a.network_id)
        if network is None:
            raise ContainerStartError(f"network {a.network_name} not found", 125)
        return network

    def _new_endpoint(
        self, container_id: str, network: NetworkRow, ports: dict[str, Any], iface: str
    ) -> EndpointRow:
        """The first free address of the network (its gateway's excepted)."""
        taken = {e.ip for e in self.table.endpoints(network.id) if e.container_id != container_id}
        taken.add(network.gateway)
        subnet = ipaddress.ip_network(network.subnet)
        ip = next((str(h) for h in subnet.hosts() if str(h) not in taken), None)
        if ip is None:
            raise ContainerStartError(f"no available IPv4 addresses on network {network.name}", 125)
        mac = "02:42:" + ":".join(f"{b:02x}" for b in ipaddress.ip_address(ip).packed)
        return EndpointRow(network.id, container_id, ip, mac, ports, iface)

    def plug(self, container_id: str, pid: int) -> None:
        """The container's veth pairs into its namespace, and the NAT rules; on failure
        its endpoints are released."""
        endpoints = self.table.endpoints_of(container_id)
        try:
            for n, e in enumerate(endpoints):
                network = self.table.get(e.network_id)
                assert network is not None
                self._plug_one(pid, network, e, default_route=not self._routed(endpoints[:n]))
            self.sync()
            self._refresh_hosts({e.network_id for e in endpoints})
        except (links.NetworkSetupError, OSError) as err:
            self.release(container_id)
            raise ContainerStartError(f"setting up the network failed: {err}", 125) from None

    def _route_carrier(
        self, endpoints: Iterable[EndpointRow]
    ) -> tuple[EndpointRow, NetworkRow] | None:
        """Which of these endpoints carries the default route: the first on a network
        that is not --internal."""
        for e in endpoints:
            network = self.table.get(e.network_id)
            if network is not None and not network.internal:
                return e, network
        return None

    def _routed(self, endpoints: Iterable[EndpointRow]) -> bool:
        return self._route_carrier(endpoints) is not None

    def _plug_one(self, pid: int, network: NetworkRow, e: EndpointRow, default_route: bool) -> None:
        subnet = ipaddress.ip_network(network.subnet)
        if links.bridge_up(network.bridge, network.gateway, subnet.prefixlen):
            host_firewall.admit(network.bridge)
        gateway = network.gateway if default_route and not network.internal else ""
        links.plug(
            pid,
            network.bridge,
            _host_end(e.container_id, network.id),
            e.iface,
            e.ip,
            subnet.prefixlen,
            gateway,
            e.mac,
        )

    def release(self, container_id: str) -> None:
        """The container's endpoints gone: its addresses and ports free, its rules out,
        its veths and any bridge left without endpoints deleted."""
        with self.store.lock:
            had = self.table.endpoints_of(container_id)
            if not had:
                return
            with self.store.meta.transaction():
                self.table.remove_endpoints(container_id)
            for e in had:
                links.unplug(_host_end(container_id, e.network_id))
            self.sync()
            self._refresh_hosts({e.network_id for e in had})

    # -- a build's RUN step ----------------------------------------------------------
    @contextmanager
    def sandbox(self, step_id: str) -> Iterator[tuple[str, str]]:
        """A network namespace on the default bridge for a build's RUN step, as Docker's
        builders give one: (its path, for runc to join; its address). A process holds
        it and dies with this one (``PR_SET_PDEATHSIG``), so a killed build takes the
        namespace and its veth along; its row goes at the next sync."""
        holder = subprocess.Popen(
            ["sleep", "infinity"],
            preexec_fn=_own_network_namespace,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            with self.store.lock:
                network = self._with_subnet(self.get("bridge"))
                e = self._new_endpoint(step_id, network, {}, "eth0")
                e = replace(e, holder_pid=holder.pid)
                with self.store.meta.transaction():
                    self.table.add_endpoint(e)
                try:
                    self._plug_one(holder.pid, network, e, default_route=True)
                    self.sync()
                except (links.NetworkSetupError, OSError) as err:  # released below
                    raise ContainerStartError(f"setting up the network failed: {err}", 1) from None
            yield f"/proc/{holder.pid}/ns/net", e.ip
        finally:
            holder.kill()
            holder.wait()
            self.release(step_id)

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
        """Docker's NetworkSettings for ``inspect``: every network the container is on,
        with its live endpoint while it runs and empty addresses otherwise."""
        mode = row.host_config.get("NetworkMode") or "bridge"
        running = row.status in UP
        endpoints = {e.network_id: e for e in self.table.endpoints_of(row.id)}
        attached: list[tuple[NetworkRow | None, AttachmentRow | None]] = []
        if mode in ("host", "none"):
            attached = [(self.get(mode), None)]
        elif not mode.startswith("container:"):
            attached = [
                (self.table.get(a.network_id), a) for a in self.table.attachments_of(row.id)
            ]
        ports: dict[str, Any] = {}
        for live in endpoints.values():
            ports.update(live.ports)
        if running and not endpoints and mode != "none":
            ports = {key: None for key in row.config.get("ExposedPorts") or {}}
        networks: dict[str, Any] = {}
        for network, a in attached:
            e = endpoints.get(network.id) if network else None
            prefix = ipaddress.ip_network(network.subnet).prefixlen if e and network else 0
            aliases = None
            if a is not None and a.network_name not in BUILTIN_NAMES:
                aliases = [*a.aliases, row.id[:12]] if e else list(a.aliases) or None
            networks[network.name if network else a.network_name if a else mode] = {
                "IPAMConfig": None,
                "Links": None,
                "Aliases": aliases,
                "NetworkID": network.id if network else "",
                "EndpointID": _endpoint_id(network.id, row.id) if e and network else "",
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
        stale = [e for e in endpoints if e.holder_pid and not alive(e.holder_pid)]
        if stale:  # RUN steps of builds that were killed
            with self.store.meta.transaction():
                for e in stale:
                    self.table.remove_endpoints(e.container_id)
            for e in stale:
                links.unplug(_host_end(e.container_id, e.network_id))
            endpoints = [e for e in endpoints if e not in stale]
        used = {e.network_id for e in endpoints}
        bridges, forwards = [], []
        for network in self.table.all():
            if network.driver != "bridge" or not network.bridge:
                continue
            if network.id not in used:
                _bridge_down(network.bridge)
                continue
            bridges.append(nat.Bridge(network.bridge, network.subnet, network.internal))
        for e in endpoints:
            forwards += _forwards(e)
        nat.apply(nat.render(f"portside_{self.tag}", bridges, forwards))

    # -- helpers --------------------------------------------------------------------
    def _refresh_hosts(self, network_ids: Iterable[str], also: Iterable[str] = ()) -> None:
        """Rewrite the /etc/hosts of every running container on these networks (and of
        containers ``also``): on a user-defined network each names the others by
        container name, aliases and short ID at their addresses; the default bridge has
        no names, as in Docker. Why files and not a DNS server: docs/networking.md."""
        if self.bundle is None:
            return
        from ..store.containers import ContainerTable
        from .hostfiles import hosts_text, rewrite_in_place

        table = ContainerTable(self.store.meta.conn)
        affected = set(also)
        for network_id in network_ids:
            affected.update(e.container_id for e in self.table.endpoints(network_id))
        names: dict[str, dict[str, tuple[str, str]]] = {}  # network -> container -> line

        def members(network_id: str) -> dict[str, tuple[str, str]]:
            if network_id not in names:
                aliases = {a.container_id: a.aliases for a in self.table.attached(network_id)}
                found = {}
                for e in self.table.endpoints(network_id):
                    peer = table.get(e.container_id)
                    if peer is not None:
                        words = [peer.name, *aliases.get(peer.id, ()), peer.id[:12]]
                        found[peer.id] = (e.ip, " ".join(dict.fromkeys(words)))
                names[network_id] = found
            return names[network_id]

        for container_id in affected:
            row = table.get(container_id)
            mine = self.table.endpoints_of(container_id)
            if row is None or not mine:
                continue
            peers = []
            for e in mine:
                network = self.table.get(e.network_id)
                if network is None or network.name in BUILTIN_NAMES:
                    continue
                peers += [v for k, v in members(e.network_id).items() if k != container_id]
            path = self.bundle(row.id) / "hosts"
            text = hosts_text(row.config["Hostname"], mine[0].ip, peers, self.extra_hosts(row))
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


def _host_end(container_id: str, network_id: str) -> str:
    """The host end of a container's veth on a network: 15 characters, as Linux allows."""
    return "v" + container_id[:9] + network_id[:5]


def _own_network_namespace() -> None:
    """In the child before exec: a network namespace of its own, and death (SIGKILL)
    when its parent goes."""
    import ctypes
    import signal

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(1, signal.SIGKILL, 0, 0, 0) != 0:  # PR_SET_PDEATHSIG
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG)")
    if libc.unshare(0x40000000) != 0:  # CLONE_NEWNET
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNET)")


def _unique(words: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(words))


def _check_joinable(mode: str, network: NetworkRow) -> None:
    """Docker's refusals for ``network connect``: host and none are a container's only
    network, and a container sharing another's namespace has none of its own."""
    if mode == "host" or network.driver == "host":
        raise Conflict(HOST_NETWORK_FIXED)
    if mode.startswith("container:"):
        raise Conflict(
            "container sharing network namespace with another container or host cannot be "
            "connected to any other network"
        )
    if mode == "none" or network.driver == "null":
        raise Conflict(
            "container cannot be connected to multiple networks with one of the networks "
            "in private (none) mode"
        )


def _bridge_down(bridge: str) -> None:
    """A bridge gone from the host, with its accept rules in ``FORWARD``."""
    if links.bridge_down(bridge):
        host_firewall.withdraw(bridge)


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
