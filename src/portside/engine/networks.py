"""Networks as resources, and the host made to match them.

The store's database says what should exist: networks (``bridge``, ``host`` and
``none`` always, and user-defined ones) and one endpoint per running container on a
bridge network (engine/endpoints.py). The host is made to match (``sync``): a network's
Linux bridge is made, with its accept rules in the host's ``FORWARD`` chain, when a
container first needs it, and stays up while the network exists, as Docker's docker0
and br-* do (``network rm`` takes it down; ``network prune`` also takes down the
default bridge's when nothing runs on it). The store's nftables table is rendered
whole from the endpoints on every start and stop, and applied when it changed
(network/nat.py, ``_apply``). So a container that dies without a word (its monitor
killed) leaves no port or veth behind once a command reconciles it. docs/networking.md
says why the bridges stay.

Every call here runs under the store lock.
"""

from __future__ import annotations

import builtins
import os

from ..cached import cached_property
from ..errors import Conflict, ContainerStartError, InvalidArgument, NetworkNotFound, NotFound
from ..ids import new_id, sha256_hex
from ..records import replace
from ..store.networks import EndpointRow, NetworkRow, NetworkTable
from ..timefmt import now_rfc3339
from . import network_inspect
from .names import is_docker_name

# The host's side (ipaddress, network/*, userns) is imported by the calls that change
# it: ``inspect`` reads networks through this service and never needs it.
TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path
    from typing import Any

    from ..network import nat
    from ..store.store import Store

BUILTIN = (("bridge", "bridge"), ("host", "host"), ("none", "null"))
BUILTIN_NAMES = frozenset(name for name, _ in BUILTIN)


class NetworkService:
    def __init__(
        self,
        store: Store,
        pools: Sequence[tuple[str, int]] = (),
        bip: str = "",
        applied: str | None = None,
    ) -> None:
        """``pools``: where subnets portside chooses come from (default-address-pools);
        ``bip``: the default bridge's gateway and prefix, when configured; ``applied``:
        where the nft script last applied is kept (in the run root, gone at reboot
        with the table), so a start or stop that changes no rule runs no ``nft``."""
        self.store = store
        self.pools = pools
        self.bip = bip
        self.applied = applied
        self.table = NetworkTable(store.meta.conn)

    @cached_property
    def tag(self) -> str:
        """The store's in host-wide names (its nft table, its bridges)."""
        return sha256_hex(os.path.realpath(self.store.root))[:10]

    def _builtin(self) -> None:
        if self.table.by_name("bridge") is not None:
            return
        with self.store.lock, self.store.meta.transaction():
            if self.table.by_name("bridge") is not None:
                return
            for name, driver in BUILTIN:
                network_id = new_id()
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
        return "ps" + sha256_hex(f"{self.tag}/{network_id}")[:11]

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
        from . import network_filters

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
                n.name in BUILTIN_NAMES,
                "dangling" in filters and bool(self.table.attached(n.id)),
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
        import ipaddress

        from ..network import addresses, links

        if not is_docker_name(name):
            raise InvalidArgument(
                f'invalid network name "{name}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed'
            )
        if driver != "bridge":
            raise NotFound(f'plugin "{driver}" not found')
        chosen = not subnet
        if subnet:
            subnet, gateway = addresses.user_subnet(subnet, gateway)
        elif gateway:
            raise InvalidArgument("a gateway needs its --subnet")
        self._builtin()
        with self.store.lock:
            if self.table.by_name(name) is not None:
                raise Conflict(f"network with name {name} already exists")
            if subnet:
                mine = [ipaddress.ip_network(n.subnet) for n in self.table.all() if n.subnet]
                routes = [ipaddress.ip_network(r) for r in links.host_routes()]
                if addresses.overlaps(ipaddress.ip_network(subnet), mine + routes):
                    raise Conflict("Pool overlaps with other one on this address space")
            network_id = new_id()
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
                self.record(row, "create")
            if chosen:  # pick its subnet now, so inspect shows it as Docker's does
                row = self.with_subnet(row)
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
            if self._drop(network):
                self.sync()  # its rules out of the table
        return network

    def _drop(self, network: NetworkRow) -> bool:
        """The network's row gone (a destroy event) and its bridge down; True when a
        bridge went down, so the nft table has rules to lose."""
        with self.store.meta.transaction():
            self.table.remove(network.id)
            self.record(network, "destroy")
        return bool(network.bridge) and _bridge_down(network.bridge)

    def record(self, network: NetworkRow, action: str, **extra: str) -> None:
        """A network event: Actor.ID the network's ID; its name and driver (Docker's
        ``type``), and for connect/disconnect the container, as Attributes."""
        from .events import record

        attributes = dict(network.labels or {})
        attributes.update(name=network.name, type=network.driver, **extra)
        record(self.store, "network", action, network.id, attributes)

    def prune(self, filters: dict[str, builtins.list[str]] | None = None) -> builtins.list[str]:
        """``network prune``: user-defined networks no container refers to (that
        ``filters`` match: until, label, label!)."""
        from .prune_filters import PruneFilter

        wanted = PruneFilter(filters)
        removed, bridges_down = [], False
        with self.store.lock:
            for network in self.list():
                # one attached to no container has no endpoint either: remove's checks hold
                if network.name in BUILTIN_NAMES or self.table.attached(network.id):
                    continue
                if not wanted.matches(network.labels, network.created):
                    continue
                bridges_down = self._drop(network) or bridges_down
                removed.append(network.name)
            if self._builtin_down() or bridges_down:
                self.sync()  # once, for every bridge that went
        return removed

    def _builtin_down(self) -> bool:
        """The default bridge's device down when no container runs on it (the network
        stays; the next run makes it again). True when it was up."""
        network = self.table.by_name("bridge")
        if network is None or self.table.endpoints(network.id):
            return False
        return _bridge_down(network.bridge)

    def inspect(self, network: NetworkRow, names: dict[str, str]) -> dict[str, Any]:
        """Docker's network JSON; ``names``: container ID -> name, for Containers."""
        return network_inspect.network_json(network, self.table.endpoints(network.id), names)

    def _at_bip(self, network: NetworkRow) -> NetworkRow:
        """The default bridge where the configuration's ``bip`` puts it."""
        import ipaddress

        wanted = ipaddress.ip_interface(self.bip)
        subnet, gateway = str(wanted.network), str(wanted.ip)
        if (network.subnet, network.gateway) == (subnet, gateway):
            return network
        self._move(network, subnet, gateway)
        found = self.table.get(network.id)
        assert found is not None
        return found

    def _move(self, network: NetworkRow, subnet: str, gateway: str) -> None:
        """An unused network to another subnet: a bridge still up at the old address
        goes down, so the next run makes it at the new one."""
        with self.store.meta.transaction():
            self.table.set_subnet(network.id, subnet, gateway)
        if network.bridge:
            _bridge_down(network.bridge)

    def with_subnet(self, network: NetworkRow) -> NetworkRow:
        """The network with a subnet that no host route overlaps. One portside chose
        moves while the network is unused (another tool may have taken it meanwhile)."""
        import ipaddress

        from ..network import addresses, links

        in_use = bool(self.table.endpoints(network.id))
        if network.name == "bridge" and self.bip and not in_use:
            return self._at_bip(network)
        if network.subnet and (in_use or not network.chosen_subnet):
            return network
        routes = [ipaddress.ip_network(r, strict=False) for r in links.host_routes()]
        if network.subnet and links.exists(network.bridge):
            routes = [r for r in routes if str(r) != network.subnet]  # our own, kept up
        if network.subnet and not addresses.overlaps(ipaddress.ip_network(network.subnet), routes):
            return network
        mine = [
            ipaddress.ip_network(n.subnet)
            for n in self.table.all()
            if n.subnet and n.id != network.id
        ]
        subnet = addresses.free_subnet(routes + mine, self.pools)
        if subnet is not None:
            self._move(network, str(subnet), addresses.gateway_of(subnet))
            found = self.table.get(network.id)
            assert found is not None
            return found
        raise ContainerStartError(
            f"could not find an available, non-overlapping IPv4 address pool among the "
            f"defaults to assign to the network {network.name}",
            125,
        )

    def bridge_up(self, network: NetworkRow) -> None:
        """The network's bridge on the host, with its accept rules in ``FORWARD`` when
        it is made now (network/host_firewall.py)."""
        import ipaddress

        from ..network import host_firewall, links

        subnet = ipaddress.ip_network(network.subnet)
        if links.bridge_up(network.bridge, network.gateway, subnet.prefixlen):
            host_firewall.admit(network.bridge)
        _way_out()

    def sync(self) -> None:
        """Make the host match the endpoints: the store's nft table rewritten for the
        bridges that are up (in use, or kept up since) and the ports published."""
        from ..network import links, nat
        from ..processes import alive
        from ..userns import pause_pid

        endpoints = self.table.endpoints()
        stale = [e for e in endpoints if e.holder_pid and not alive(e.holder_pid)]
        if stale:  # RUN steps of builds that were killed
            with self.store.meta.transaction():
                for e in stale:
                    self.table.remove_endpoints(e.container_id)
            for e in stale:
                links.unplug(host_end(e.container_id, e.network_id))
            endpoints = [e for e in endpoints if e not in stale]
        used = {e.network_id for e in endpoints}
        bridges, forwards = [], []
        for network in self.table.all():
            if network.driver != "bridge" or not network.bridge:
                continue
            if network.id not in used and not links.exists(network.bridge):
                continue
            bridges.append(nat.Bridge(network.bridge, network.subnet, network.internal))
        for e in endpoints:
            forwards += _forwards(e)
        if pause_pid() is not None:
            forwards = _publish_rootless(forwards)
        self._apply(nat.render(f"portside_{self.tag}", bridges, forwards))

    def _apply(self, script: str) -> None:
        """``nft -f`` of the script, unless the run root records it as the last one
        applied in this network namespace: a start or stop that changes no rule (no
        published port, the bridge already up) runs no ``nft``. A table someone else
        deletes is made again at the next change, not before."""
        from ..network import nat
        from ..userns import pause_pid

        if self.applied is None:
            nat.apply(script)
            return
        # the namespace the table lives in: a rootless user's is made anew with its pause
        where = os.stat(f"/proc/{pause_pid() or 'self'}/ns/net").st_ino
        record = f"# netns {where}\n{script}"
        try:
            with open(self.applied) as f:
                if f.read() == record:
                    return
        except OSError:
            pass
        from ..store.tempnames import remove_file, replace_file

        remove_file(self.applied)  # a failed apply leaves no record
        nat.apply(script)
        replace_file(self.applied, record)


def _way_out() -> Path | None:
    """Rootless: slirp4netns for the namespace the bridges are in (its API socket)."""
    from ..userns import namespace_runroot, pause_pid

    pid = pause_pid()
    if pid is None:
        return None
    from ..network import slirp

    return slirp.ensure(namespace_runroot(), pid)


def _publish_rootless(forwards: list[nat.Forward]) -> list[nat.Forward]:
    """Rootless, a published port is slirp4netns's listener on the host, which connects
    to tap0's address in the namespace: the DNAT rules there take any local address."""
    from ..network import slirp
    from ..userns import namespace_runroot, pause_pid

    pid, runroot = pause_pid(), namespace_runroot()
    assert pid is not None  # with forwards, slirp4netns is started; without, none is
    sock = slirp.ensure(runroot, pid) if forwards else slirp.running(runroot, pid)
    if sock is not None:
        slirp.publish(sock, [(f.proto, f.host_ip, f.host_port) for f in forwards])
    return [replace(f, host_ip="") for f in forwards]


def host_end(container_id: str, network_id: str) -> str:
    """The host end of a container's veth on a network: 15 characters, as Linux allows."""
    return "v" + container_id[:9] + network_id[:5]


def _bridge_down(bridge: str) -> bool:
    """A bridge gone from the host, with its accept rules in ``FORWARD``; True when
    it was up."""
    from ..network import host_firewall, links

    if links.bridge_down(bridge):
        host_firewall.withdraw(bridge)
        return True
    return False


def _forwards(e: EndpointRow) -> list[nat.Forward]:
    from ..network import nat

    out = []
    for key, binds in e.ports.items():
        port, _, proto = key.partition("/")
        for b in binds or []:
            out.append(nat.Forward(proto, b["HostIp"], int(b["HostPort"]), e.ip, int(port)))
    return out
