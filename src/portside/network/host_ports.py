"""Host ports for ``-p``/``-P``: each exposed port with the host ports it is published
on, the wanted ones checked and the free ones chosen, as Docker's daemon does. A port
another endpoint holds, or a host program listens on, is refused with Docker's words
(the forwarded traffic would never reach a port a host program holds)."""

from __future__ import annotations

from ..errors import ContainerStartError

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

Taken = set[tuple[str, str, int]]  # (proto, host address, port)
Bindings = dict[str, list[dict[str, str]]]


def taken_by(ports: Iterable[dict[str, Any]]) -> Taken:
    """What endpoints' NetworkSettings.Ports hold."""
    return {
        (key.partition("/")[2], b["HostIp"], int(b["HostPort"]))
        for endpoint_ports in ports
        for key, binds in endpoint_ports.items()
        for b in binds or []
    }


def choose(
    exposed: list[str],
    bindings: Bindings,
    publish_all: bool,
    taken: Taken,
    endpoint: str,
) -> dict[str, Any]:
    """NetworkSettings.Ports for a container: each exposed port, with the host ports it
    is published on (free ones chosen now), or None. ``endpoint`` names the container
    in the refusals (``NAME (ID)``)."""
    bindings = dict(bindings)
    if publish_all:
        for key in exposed:
            bindings.setdefault(key, [{"HostIp": "", "HostPort": ""}])
    taken = set(taken)
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
            port = _pick(endpoint, proto, host_ip, b.get("HostPort") or "", taken)
            taken.add((proto, host_ip, port))
            chosen.append({"HostIp": host_ip, "HostPort": str(port)})
        ports[key] = chosen
    return ports


def _pick(endpoint: str, proto: str, host_ip: str, wanted: str, taken: Taken) -> int:
    def clash(port: int) -> bool:
        return any(
            p == proto and n == port and (ip == host_ip or "0.0.0.0" in (ip, host_ip))
            for p, ip, n in taken
        )

    failed = f"driver failed programming external connectivity on endpoint {endpoint}"
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


def _ephemeral_range() -> tuple[int, int]:
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low, high = (int(x) for x in f.read().split())
    except (OSError, ValueError):
        low, high = 32768, 60999
    return low, high + 1


def _bind_error(proto: str, host_ip: str, port: int) -> str:
    """Why a process of the host could not listen there now ("" when it could)."""
    import socket

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
