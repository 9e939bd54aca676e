"""Address allocation: a subnet for a bridge network, an address and a MAC for an
endpoint on it. Pure functions over what is taken; the engine reads what is taken from
the store and the host's routes, under the store lock, and records the choice."""

from __future__ import annotations

import ipaddress

from ..errors import InvalidArgument

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

Net = ipaddress.IPv4Network | ipaddress.IPv6Network

# the /24s for networks whose subnet portside chooses: docker0's 172.17/16 and Podman's
# 10.88/16 are outside it
SUBNET_POOL = ipaddress.ip_network("10.99.0.0/16")


def overlaps(candidate: Net, others: Iterable[Net]) -> bool:
    return any(candidate.overlaps(o) for o in others)


def free_subnet(taken: list[Net], pools: Sequence[tuple[str, int]] = ()) -> Net | None:
    """The first subnet that overlaps nothing taken: of the ``pools`` (base, size) as
    daemon.json's ``default-address-pools`` give them, in order, or of /24s of ours."""
    for base, size in pools or ((str(SUBNET_POOL), 24),):
        for candidate in ipaddress.ip_network(base).subnets(new_prefix=size):
            if not overlaps(candidate, taken):
                return candidate
    return None


def gateway_of(subnet: Net) -> str:
    """A network's gateway unless one is given: the subnet's first host address."""
    return str(next(subnet.hosts()))


def free_address(subnet: str, taken: set[str]) -> str | None:
    """The first host address of the subnet that is not taken (the gateway is)."""
    return next((str(h) for h in ipaddress.ip_network(subnet).hosts() if str(h) not in taken), None)


def mac_for(ip: str) -> str:
    """Docker's MAC for an address: 02:42 and the address's four bytes."""
    return "02:42:" + ":".join(f"{b:02x}" for b in ipaddress.ip_address(ip).packed)


def user_subnet(subnet: str, gateway: str) -> tuple[str, str]:
    """``--subnet`` and ``--gateway`` of ``network create``, checked as Docker checks
    them: the normalised subnet, and the gateway (its first address unless given)."""
    try:
        net = ipaddress.ip_network(subnet, strict=False)
    except ValueError:
        raise InvalidArgument(f"invalid CIDR address: {subnet}") from None
    if net.version != 4:
        raise InvalidArgument(f"IPv6 subnets are not supported yet: {subnet}")
    if net.num_addresses < 4:
        raise InvalidArgument(f"subnet {subnet} is too small for a network")
    if not gateway:
        return str(net), gateway_of(net)
    try:
        inside = ipaddress.ip_address(gateway) in net
    except ValueError:
        inside = False
    if not inside:
        raise InvalidArgument(f"no matching subnet for gateway {gateway}")
    return str(net), gateway
