"""The networks a container is on, and its endpoints on them.

A container's attachments (the networks it joins, in order, with its aliases) are kept
while it is stopped; while it runs it has one endpoint per bridge network: an address,
an interface (eth0, eth1 … in the order it joined), the host ports published to it (on
its first network), and a veth pair from the network's bridge into its namespace.
``allocate`` chooses them before ``runc start``, ``plug`` wires them, ``release`` frees
them; the host's bridges and rules then follow (``NetworkService.sync``). On a
user-defined network each container finds the others by name in its /etc/hosts,
rewritten here whenever a neighbour comes or goes.

Every call here runs under the store lock.
"""

from __future__ import annotations

import builtins

from ..errors import Conflict, ContainerStartError, InvalidArgument
from ..records import replace
from ..store.networks import AttachmentRow, EndpointRow, NetworkRow, NetworkTable
from . import network_inspect
from .container_state import UP
from .networks import BUILTIN_NAMES, NetworkService, host_end

# network/* (addresses, links, the hosts files …) is imported by the calls that wire a
# container: ``inspect`` reads its settings here and needs none of it.
TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Sequence
    from contextlib import AbstractContextManager
    from typing import Any

    from ..store.containers import ContainerRow
    from ..store.store import Store

ALIAS_ONLY_USER_DEFINED = (
    "network-scoped alias is supported only for containers in user defined networks"
)
HOST_NETWORK_FIXED = (
    "container cannot be disconnected from host network or connected to host network"
)


class EndpointService:
    def __init__(
        self, store: Store, networks: NetworkService, bundle: Callable[[str], str] | None = None
    ) -> None:
        self.store = store
        self.networks = networks
        self.bundle = bundle  # a container's folder, where its /etc/hosts is
        self.table = NetworkTable(store.meta.conn)

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
        network = self.networks.get(mode)
        return AttachmentRow(container_id, network.id, network.name, 0, _unique(aliases))

    def connect(self, ref: str, row: ContainerRow, aliases: Sequence[str] = ()) -> None:
        """``network connect``: the container joins a network, a stopped one at its
        next start, a running one now (a new interface, eth1 and on, plugged into its
        namespace). ``row`` is reconciled: its status is the truth."""
        from ..network import links

        with self.store.lock:
            network = self.networks.get(ref)
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
                self.networks.record(network, "connect", container=row.id)
                return
            try:
                endpoints = self.table.endpoints_of(row.id)
                # past the last one, so the order of names stays the order of joining
                last = max((int(e.iface[3:]) for e in endpoints), default=-1)
                iface = f"eth{last + 1}"
                network = self.networks.with_subnet(network)
                endpoint = self._new_endpoint(row.id, network, {}, iface)
                with self.store.meta.transaction():
                    self.table.add_endpoint(endpoint)
                self._plug_one(
                    row.pid, network, endpoint, default_route=not self._routed(endpoints)
                )
                self.networks.sync()
                self._refresh_hosts({e.network_id for e in endpoints} | {network.id})
                self.networks.record(network, "connect", container=row.id)
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
            network = self.networks.get(ref)
            if network.driver == "host" or row.host_config.get("NetworkMode") == "host":
                raise Conflict(HOST_NETWORK_FIXED)
            if not any(a.network_id == network.id for a in self.table.attachments_of(row.id)):
                raise Conflict(f"container {row.id} is not connected to network {network.name}")
            self._disconnect_locked(row, network)
            self.networks.record(network, "disconnect", container=row.id)

    def _disconnect_locked(self, row: ContainerRow, network: NetworkRow) -> None:
        from ..network import links

        endpoints = self.table.endpoints_of(row.id)
        gone = [e for e in endpoints if e.network_id == network.id]
        left = [e for e in endpoints if e.network_id != network.id]
        others = {e.network_id for e in left}
        with self.store.meta.transaction():
            self.table.detach(row.id, network.id)
            self.table.remove_endpoints(row.id, network.id)
        links.unplug(host_end(row.id, network.id))
        carrier = self._route_carrier(endpoints)
        if gone and row.pid and carrier and carrier[0] == gone[0]:
            # the default route left with it: the next network that can carry it does
            heir = self._route_carrier(left)
            if heir is not None:
                try:
                    links.default_route(row.pid, heir[1].gateway, heir[0].iface)
                except links.NetworkSetupError:
                    pass  # the container is exiting meanwhile
        self.networks.sync()
        self._refresh_hosts(others | {network.id}, also=[row.id])

    def networks_of(self, row: ContainerRow) -> builtins.list[str]:
        """The names and IDs of the networks a container is on, in the order it joined
        them (what ``ps --filter network=`` matches)."""
        mode = row.host_config.get("NetworkMode") or "bridge"
        if mode in ("host", "none"):
            network = self.networks.get(mode)
            return [network.name, network.id]
        return [
            x for a in self.table.attachments_of(row.id) for x in (a.network_name, a.network_id)
        ]

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
                self.networks.with_subnet(self._attached(a))
                for a in self.table.attachments_of(row.id)
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
        from ..network import addresses

        taken = {e.ip for e in self.table.endpoints(network.id) if e.container_id != container_id}
        ip = addresses.free_address(network.subnet, taken | {network.gateway})
        if ip is None:
            raise ContainerStartError(f"no available IPv4 addresses on network {network.name}", 125)
        return EndpointRow(network.id, container_id, ip, addresses.mac_for(ip), ports, iface)

    def plug(self, container_id: str, pid: int) -> None:
        """The container's veth pairs into its namespace, and the NAT rules; on failure
        its endpoints are released."""
        from ..network import links

        endpoints = self.table.endpoints_of(container_id)
        try:
            for n, e in enumerate(endpoints):
                network = self.table.get(e.network_id)
                assert network is not None
                self._plug_one(pid, network, e, default_route=not self._routed(endpoints[:n]))
            self.networks.sync()
            self._refresh_hosts({e.network_id for e in endpoints})
        except (links.NetworkSetupError, OSError) as err:
            self.release(container_id)
            raise ContainerStartError(f"setting up the network failed: {err}", 125) from None
        for e in endpoints:  # Docker journals a connect at each start, a disconnect at each stop
            self._record(e, "connect")

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
        import ipaddress

        from ..network import links

        subnet = ipaddress.ip_network(network.subnet)
        self.networks.bridge_up(network)
        gateway = network.gateway if default_route and not network.internal else ""
        links.plug(
            pid,
            network.bridge,
            host_end(e.container_id, network.id),
            e.iface,
            e.ip,
            subnet.prefixlen,
            gateway,
            e.mac,
        )

    def release(self, container_id: str, journal: bool = True) -> None:
        """The container's endpoints gone: its addresses and ports free, its rules out,
        its veths and any bridge left without endpoints deleted; a disconnect event for
        each network (``journal``: a build step's sandbox is no container of the user's)."""
        from ..network import links

        with self.store.lock:
            had = self.table.endpoints_of(container_id)
            if not had:
                return
            with self.store.meta.transaction():
                self.table.remove_endpoints(container_id)
            for e in had:
                links.unplug(host_end(container_id, e.network_id))
            self.networks.sync()
            self._refresh_hosts({e.network_id for e in had})
            if journal:
                for e in had:
                    self._record(e, "disconnect")

    def _record(self, e: EndpointRow, action: str) -> None:
        network = self.table.get(e.network_id)
        if network is not None:
            self.networks.record(network, action, container=e.container_id)

    def sandbox(self, step_id: str) -> AbstractContextManager[tuple[str, str]]:
        """A network namespace on the default bridge for a build's RUN step, as Docker's
        builders give one: (its path, for runc to join; its address). A process holds
        it and dies with this one (``PR_SET_PDEATHSIG``), so a killed build takes the
        namespace and its veth along (network/namespace_holder.py); its row goes at the
        next sync. contextlib is imported here, not by inspect, which loads this module."""
        from contextlib import contextmanager

        return contextmanager(self._sandbox)(step_id)

    def _sandbox(self, step_id: str) -> Iterator[tuple[str, str]]:
        from ..network import links, namespace_holder

        holder = namespace_holder.start()
        try:
            with self.store.lock:
                network = self.networks.with_subnet(self.networks.get("bridge"))
                e = self._new_endpoint(step_id, network, {}, "eth0")
                e = replace(e, holder_pid=holder.pid)
                with self.store.meta.transaction():
                    self.table.add_endpoint(e)
                try:
                    self._plug_one(holder.pid, network, e, default_route=True)
                    self.networks.sync()
                except (links.NetworkSetupError, OSError) as err:  # released below
                    raise ContainerStartError(f"setting up the network failed: {err}", 1) from None
            yield f"/proc/{holder.pid}/ns/net", e.ip
        finally:
            holder.kill()
            holder.wait()
            self.release(step_id, journal=False)

    def extra_hosts(self, row: ContainerRow) -> builtins.list[str]:
        """``--add-host`` entries with ``host-gateway`` made the address the host has
        on the container's bridge (the default bridge's, off a bridge), as Docker's."""
        entries = row.host_config.get("ExtraHosts") or []
        if not any(e.endswith(":host-gateway") for e in entries):
            return list(entries)
        found = self.endpoint(row.id)
        return self.gateway_hosts(entries, found[0] if found else None)

    def gateway_hosts(
        self, entries: builtins.list[str], network: NetworkRow | None = None
    ) -> builtins.list[str]:
        """``host-gateway`` in ``--add-host`` entries made the host's address on
        ``network`` (the default bridge's when None)."""
        from ..network.hostfiles import with_gateway

        return with_gateway(entries, network.gateway if network else self.default_gateway())

    def default_gateway(self) -> str:
        """The host's address on the default bridge (RUN steps' and off-bridge
        containers' ``host-gateway``)."""
        return self.networks.with_subnet(self.networks.get("bridge")).gateway

    def endpoint(self, container_id: str) -> tuple[NetworkRow, EndpointRow] | None:
        for e in self.table.endpoints_of(container_id):
            network = self.table.get(e.network_id)
            if network is not None:
                return network, e
        return None

    def settings(self, row: ContainerRow) -> dict[str, Any]:
        """Docker's NetworkSettings for ``inspect`` (engine/network_inspect.py)."""
        return self._settings(
            row, self.table.get, self.table.attachments_of(row.id), self.table.endpoints_of(row.id)
        )

    def settings_of(self, rows: Iterable[ContainerRow]) -> dict[str, dict[str, Any]]:
        """``settings`` of many containers (the API's container list) from one read of
        each table, not three queries a container: container ID -> NetworkSettings."""
        networks = {n.id: n for n in self.table.all()}
        attachments: dict[str, list[AttachmentRow]] = {}
        for a in self.table.all_attachments():  # in the order each container joined
            attachments.setdefault(a.container_id, []).append(a)
        live: dict[str, list[EndpointRow]] = {}
        for e in sorted(self.table.endpoints(), key=lambda e: (len(e.iface), e.iface)):
            live.setdefault(e.container_id, []).append(e)
        return {
            r.id: self._settings(r, networks.get, attachments.get(r.id, []), live.get(r.id, []))
            for r in rows
        }

    def _settings(
        self,
        row: ContainerRow,
        network: Callable[[str], NetworkRow | None],
        attachments: Iterable[AttachmentRow],
        live: Iterable[EndpointRow],
    ) -> dict[str, Any]:
        mode = row.host_config.get("NetworkMode") or "bridge"
        attached: list[tuple[NetworkRow | None, AttachmentRow | None]] = []
        if mode in ("host", "none"):
            attached = [(self.networks.get(mode), None)]
        elif not mode.startswith("container:"):
            attached = [(network(a.network_id), a) for a in attachments]
        return network_inspect.settings(row, attached, live, BUILTIN_NAMES)

    def _refresh_hosts(self, network_ids: Iterable[str], also: Iterable[str] = ()) -> None:
        """Rewrite the /etc/hosts of every running container on these networks (and of
        containers ``also``): on a user-defined network each names the others by
        container name, aliases and short ID at their addresses; the default bridge has
        no names, as in Docker. Why files and not a DNS server: docs/networking.md."""
        if self.bundle is None:
            return
        from ..network.hostfiles import hosts_text, rewrite_in_place
        from ..store.containers import ContainerTable

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
            path = f"{self.bundle(row.id)}/hosts"
            text = hosts_text(row.config["Hostname"], mine[0].ip, peers, self.extra_hosts(row))
            try:
                rewrite_in_place(path, text)
            except OSError:
                pass  # its folder is going away with it

    def _host_ports(self, row: ContainerRow) -> dict[str, Any]:
        """NetworkSettings.Ports for the container, host ports chosen now."""
        from ..network import host_ports

        others = (e.ports for e in self.table.endpoints() if e.container_id != row.id)
        return host_ports.choose(
            list((row.config.get("ExposedPorts") or {}).keys()),
            dict(row.host_config.get("PortBindings") or {}),
            bool(row.host_config.get("PublishAllPorts")),
            host_ports.taken_by(others),
            f"{row.name} ({row.id})",
        )


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
