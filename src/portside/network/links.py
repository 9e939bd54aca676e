"""Bridges and veth pairs through iproute2's ``ip -batch`` (netlink, one process for
several changes): a bridge per network, and a veth pair per container whose inner end
goes straight into the container's network namespace (``/proc/PID/ns/net``, made by
runc) between ``runc create`` and ``runc start``.

The inner end dies with the namespace when the container's last process exits, and
the kernel deletes its host end with it; ``unplug`` is for the other cases.
"""

from __future__ import annotations

import os

from ..errors import PortsideError
from ..userns import bridges_argv, bridges_proc_net


class NetworkSetupError(PortsideError):
    """The kernel refused a link, address or rule change."""


def _run(argv: list[str], script: str) -> None:
    from .. import spawn  # not subprocess (spawn.py); not for inspect, which only reads

    try:
        done = spawn.run(argv, input=script.encode())
    except FileNotFoundError:
        raise NetworkSetupError(f"{argv[0]} not found (apt-get install iproute2)") from None
    if done.returncode != 0:
        reason = done.stderr.strip().splitlines()
        raise NetworkSetupError(f"{argv[0]}: {reason[-1] if reason else 'failed'}")


def exists(name: str) -> bool:
    """Whether the bridges' namespace has a link ``name`` (as root, the host's)."""
    if bridges_argv():
        with open(f"{bridges_proc_net()}/dev") as f:
            lines = f.read().splitlines()[2:]
        return any(line.partition(":")[0].strip() == name for line in lines)
    return os.path.exists(f"/sys/class/net/{name}")


def _host(script: str) -> None:
    """``ip -batch`` where the bridges are (userns.py)."""
    _run([*bridges_argv(), "ip", "-batch", "-"], script)


def bridge_up(name: str, gateway: str, prefix: int) -> bool:
    """The bridge with the gateway address, up; ``route_localnet`` on it so a port
    published on 127.0.0.1 can be forwarded into a container (DNAT from loopback).
    True when it was made now."""
    made = not exists(name)
    if made:
        _host(
            f"link add {name} type bridge\naddr add {gateway}/{prefix} dev {name}\n"
            f"link set {name} up\n",
        )
    if not bridges_argv():  # rootless, published ports come in through slirp4netns
        with open(f"/proc/sys/net/ipv4/conf/{name}/route_localnet", "w") as f:
            f.write("1\n")
    return made


def _delete(name: str) -> bool:
    """Delete a link if it is there (True then); one the kernel removes meanwhile (a
    veth whose namespace is being torn down) is not an error."""
    if not exists(name):
        return False
    try:
        _host(f"link del {name}\n")
    except NetworkSetupError:
        if exists(name):
            raise
    return True


def bridge_down(name: str) -> bool:
    """The bridge gone; True when it was there."""
    return _delete(name)


def plug(
    pid: int,
    bridge: str,
    host_end: str,
    iface: str,
    ip: str,
    prefix: int,
    gateway: str,
    mac: str,
) -> None:
    """A veth pair from ``bridge`` to ``iface`` in the namespace of process ``pid``,
    with the default route through ``gateway`` when one is given."""
    if exists(host_end):  # left by a container of the same ID that is gone
        unplug(host_end)
    _host(
        f"link add {host_end} type veth peer name {iface} address {mac} netns {pid}\n"
        f"link set {host_end} master {bridge} up\n",
    )
    route = f"route add default via {gateway}\n" if gateway else ""
    _run(
        ["nsenter", f"--net=/proc/{pid}/ns/net", "ip", "-batch", "-"],
        # lo too: runc sets it up in a namespace it makes, not in one it joins (builds')
        f"addr add {ip}/{prefix} dev {iface}\nlink set {iface} up\nlink set lo up\n{route}",
    )


def default_route(pid: int, gateway: str, iface: str) -> None:
    """The default route of process ``pid``'s namespace through ``gateway``."""
    _run(
        ["nsenter", f"--net=/proc/{pid}/ns/net", "ip", "-batch", "-"],
        f"route replace default via {gateway} dev {iface}\n",
    )


def unplug(host_end: str) -> None:
    _delete(host_end)


def host_routes() -> list[str]:
    """The IPv4 destinations of the host's main routing table now (``10.0.0.0/24``),
    to keep a new subnet clear of them; read from /proc/net/route, no process."""
    import ipaddress

    routes = []
    try:
        with open(f"{bridges_proc_net()}/route") as f:
            lines = f.read().splitlines()[1:]
    except OSError:
        return []
    for line in lines:
        fields = line.split()
        if len(fields) < 8:
            continue
        dest, mask = (int(fields[i], 16).to_bytes(4, "little") for i in (1, 7))
        if mask == b"\0\0\0\0":
            continue  # the default route
        net = ipaddress.ip_network(
            f"{ipaddress.ip_address(dest)}/{ipaddress.ip_address(mask)}", strict=False
        )
        routes.append(str(net))
    return routes
