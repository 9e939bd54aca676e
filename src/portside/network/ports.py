"""Docker's ``-p`` syntax, ``PortBindings``/``Ports`` JSON, and how ps and ``port`` show
mappings.

``-p [IP:][HOSTPORT:]CTRPORT[/PROTO]``: ports may be ranges (``8000-8002:80-82``), the
host port may be empty (a free one is chosen at start), the IP may be in brackets.
Parsed into Docker's ``HostConfig.PortBindings``: ``{"80/tcp": [{"HostIp": "",
"HostPort": "3000"}]}``.
"""

from __future__ import annotations

import ipaddress

from ..errors import InvalidArgument

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import Any

PROTOCOLS = ("tcp", "udp", "sctp")
Bindings = dict[str, list[dict[str, str]]]


def _range(text: str) -> tuple[int, int]:
    start, sep, end = text.partition("-")
    low = int(start) if start.isdigit() else -1
    high = int(end) if sep and end.isdigit() else (low if not sep else -1)
    if not (0 <= low <= high <= 65535):
        raise ValueError(text)
    return low, high


def split_port(text: str) -> tuple[str, int, int]:
    """``80``, ``80-82/udp`` -> (proto, first, last); ValueError when malformed."""
    port, _, proto = text.partition("/")
    first, last = _range(port)
    return (proto.lower() or "tcp"), first, last


def parse_publish(spec: str) -> tuple[list[str], Bindings]:
    """One ``-p`` value: the ports it exposes (``80/tcp``) and its bindings."""
    parts = spec.split(":")
    container = parts[-1]
    host_port = parts[-2] if len(parts) >= 2 else ""
    ip = ":".join(parts[:-2]) if len(parts) >= 3 else ""
    port_text, _, proto = container.partition("/")
    proto = proto.lower() or "tcp"
    if port_text == "":
        raise InvalidArgument(f"no port specified: {spec}<empty>")
    if proto not in PROTOCOLS:
        raise InvalidArgument(f"invalid proto: {proto}")
    if ip.startswith("[") and ip.endswith("]"):
        ip = ip[1:-1]
    if ip:
        try:
            ipaddress.ip_address(ip)
        except ValueError:
            raise InvalidArgument(f"invalid IP address: {ip}") from None
    try:
        first, last = _range(port_text)
    except ValueError:
        raise InvalidArgument(f"invalid containerPort: {port_text}") from None
    hosts: list[str] = []
    if host_port:
        try:
            h_first, h_last = _range(host_port)
        except ValueError:
            raise InvalidArgument(f"invalid hostPort: {host_port}") from None
        if h_last - h_first != last - first:
            if first != last:
                raise InvalidArgument(
                    "invalid ranges specified for container and host Ports: "
                    f"{port_text} and {host_port}"
                )
            hosts = [host_port]  # one container port, any free port of the host range
        else:
            hosts = [str(p) for p in range(h_first, h_last + 1)]
    exposed, bindings = [], {}
    for i, port in enumerate(range(first, last + 1)):
        key = f"{port}/{proto}"
        exposed.append(key)
        bindings[key] = [{"HostIp": ip, "HostPort": hosts[i] if hosts else ""}]
    return exposed, bindings


def port_key(text: str) -> str:
    """A container port as a ``Ports`` key: ``80`` -> ``80/tcp``."""
    try:
        proto, first, last = split_port(text)
    except ValueError:
        raise InvalidArgument(f"Invalid port: {text}") from None
    if first != last or proto not in PROTOCOLS:
        raise InvalidArgument(f"Invalid port: {text}")
    return f"{first}/{proto}"


def _runs(items: list[tuple[tuple[str, ...], tuple[int, ...]]]) -> list[tuple[Any, ...]]:
    """Sorted (group, numbers) items merged where every number goes up by one:
    (group, firsts, lasts) per run."""
    out: list[tuple[Any, ...]] = []
    for group, numbers in sorted(items):
        if (
            out
            and out[-1][0] == group
            and all(n == last + 1 for n, last in zip(numbers, out[-1][2], strict=True))
        ):
            out[-1] = (group, out[-1][1], numbers)
        else:
            out.append((group, numbers, numbers))
    return out


def display(ports: dict[str, Any]) -> str:
    """ps's PORTS: ``0.0.0.0:3000->80/tcp, 0.0.0.0:8000-8001->81-82/tcp, 443/tcp``;
    consecutive ports with consecutive host ports merge into ranges, as Docker's do."""
    published: list[tuple[tuple[str, ...], tuple[int, ...]]] = []
    bare: list[tuple[tuple[str, ...], tuple[int, ...]]] = []
    for key, binds in ports.items():
        port, _, proto = key.partition("/")
        if not binds:
            bare.append(((proto,), (int(port),)))
        for b in binds or []:
            published.append(((proto, b.get("HostIp", "")), (int(b["HostPort"]), int(port))))

    def span(first: int, last: int) -> str:
        return f"{first}" if first == last else f"{first}-{last}"

    out = [
        f"{ip}:{span(f[0], t[0])}->{span(f[1], t[1])}/{proto}"
        for (proto, ip), f, t in _runs(published)
    ]
    out += [f"{span(f[0], t[0])}/{proto}" for (proto,), f, t in _runs(bare)]
    return ", ".join(out)
