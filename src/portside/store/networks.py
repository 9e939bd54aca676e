"""Network rows, the networks each container is attached to, and the endpoints of
running containers on them."""

from __future__ import annotations

from .. import fastjson
from ..records import dataclass

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    import sqlite3
    from typing import Any

_COLUMNS = "id, name, driver, subnet, gateway, bridge, internal, chosen_subnet, created, labels"


@dataclass(frozen=True)
class NetworkRow:
    id: str
    name: str
    driver: str  # bridge|host|null
    subnet: str = ""
    gateway: str = ""
    bridge: str = ""
    internal: bool = False
    chosen_subnet: bool = False
    created: str = ""
    labels: dict[str, str] | None = None


@dataclass(frozen=True)
class EndpointRow:
    network_id: str
    container_id: str
    ip: str
    mac: str
    ports: dict[str, Any]  # "80/tcp" -> [{"HostIp": "0.0.0.0", "HostPort": "3000"}] or None
    iface: str = "eth0"  # its name inside the container
    holder_pid: int = 0  # a build's RUN step: the process holding its namespace


@dataclass(frozen=True)
class AttachmentRow:
    container_id: str
    network_id: str
    network_name: str
    seq: int
    aliases: tuple[str, ...] = ()


def _network(row: tuple[Any, ...]) -> NetworkRow:
    values = list(row)
    values[6], values[7] = bool(values[6]), bool(values[7])
    values[9] = fastjson.loads(values[9])
    return NetworkRow(*values)


class NetworkTable:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def add(self, row: NetworkRow) -> None:
        self.conn.execute(
            f"INSERT INTO networks({_COLUMNS}) VALUES ({','.join('?' * 10)})",
            (
                row.id,
                row.name,
                row.driver,
                row.subnet,
                row.gateway,
                row.bridge,
                int(row.internal),
                int(row.chosen_subnet),
                row.created,
                fastjson.dumps(row.labels or {}),
            ),
        )

    def get(self, network_id: str) -> NetworkRow | None:
        row = self.conn.execute(
            f"SELECT {_COLUMNS} FROM networks WHERE id = ?", (network_id,)
        ).fetchone()
        return _network(row) if row else None

    def by_name(self, name: str) -> NetworkRow | None:
        row = self.conn.execute(
            f"SELECT {_COLUMNS} FROM networks WHERE name = ?", (name,)
        ).fetchone()
        return _network(row) if row else None

    def all(self) -> list[NetworkRow]:
        return [_network(r) for r in self.conn.execute(f"SELECT {_COLUMNS} FROM networks")]

    def set_subnet(self, network_id: str, subnet: str, gateway: str) -> None:
        self.conn.execute(
            "UPDATE networks SET subnet = ?, gateway = ? WHERE id = ?",
            (subnet, gateway, network_id),
        )

    def remove(self, network_id: str) -> None:
        self.conn.execute("DELETE FROM networks WHERE id = ?", (network_id,))

    # -- attachments ----------------------------------------------------------------
    def attach(self, a: AttachmentRow) -> None:
        self.conn.execute(
            "INSERT INTO attachments(container_id, network_id, network_name, seq, aliases)"
            " VALUES (?,?,?,?,?)",
            (a.container_id, a.network_id, a.network_name, a.seq, fastjson.dumps(list(a.aliases))),
        )

    def attach_unattached(self, network: NetworkRow) -> None:
        """The containers whose NetworkMode names ``network`` and that are on no network
        yet, on it: containers older than the default bridge's row, which is made on
        first use (migration 6 attached those whose network existed)."""
        self.conn.execute(
            "INSERT INTO attachments(container_id, network_id, network_name, seq) "
            "SELECT c.id, ?, ?, 0 FROM containers c WHERE "
            "coalesce(nullif(json_extract(c.host_config, '$.NetworkMode'), ''), 'bridge') = ? "
            "AND NOT EXISTS (SELECT 1 FROM attachments a WHERE a.container_id = c.id)",
            (network.id, network.name, network.name),
        )

    def detach(self, container_id: str, network_id: str) -> None:
        self.conn.execute(
            "DELETE FROM attachments WHERE container_id = ? AND network_id = ?",
            (container_id, network_id),
        )

    def _attachments(self, where: str, *args: str) -> list[AttachmentRow]:
        rows = self.conn.execute(
            "SELECT container_id, network_id, network_name, seq, aliases FROM attachments "
            f"{where} ORDER BY seq",
            args,
        )
        return [
            AttachmentRow(c, n, name, seq, tuple(fastjson.loads(a))) for c, n, name, seq, a in rows
        ]

    def attachments_of(self, container_id: str) -> list[AttachmentRow]:
        """A container's networks in the order it joined them."""
        return self._attachments("WHERE container_id = ?", container_id)

    def all_attachments(self) -> list[AttachmentRow]:
        return self._attachments("")

    def attached(self, network_id: str) -> list[AttachmentRow]:
        return self._attachments("WHERE network_id = ?", network_id)

    # -- endpoints ------------------------------------------------------------------
    def add_endpoint(self, e: EndpointRow) -> None:
        self.conn.execute(
            "INSERT INTO endpoints(network_id, container_id, ip, mac, ports, iface, holder_pid)"
            " VALUES (?,?,?,?,?,?,?)",
            (
                e.network_id,
                e.container_id,
                e.ip,
                e.mac,
                fastjson.dumps(e.ports),
                e.iface,
                e.holder_pid,
            ),
        )

    def _endpoints(self, where: str = "", *args: str) -> list[EndpointRow]:
        rows = self.conn.execute(
            "SELECT network_id, container_id, ip, mac, ports, iface, holder_pid FROM endpoints "
            + where,
            args,
        )
        return [
            EndpointRow(n, c, ip, mac, fastjson.loads(p), iface, holder)
            for n, c, ip, mac, p, iface, holder in rows
        ]

    def endpoints(self, network_id: str | None = None) -> list[EndpointRow]:
        if network_id is None:
            return self._endpoints()
        return self._endpoints("WHERE network_id = ?", network_id)

    def endpoints_of(self, container_id: str) -> list[EndpointRow]:
        return self._endpoints("WHERE container_id = ? ORDER BY length(iface), iface", container_id)

    def remove_endpoints(self, container_id: str, network_id: str | None = None) -> None:
        if network_id is None:
            self.conn.execute("DELETE FROM endpoints WHERE container_id = ?", (container_id,))
        else:
            self.conn.execute(
                "DELETE FROM endpoints WHERE container_id = ? AND network_id = ?",
                (container_id, network_id),
            )
