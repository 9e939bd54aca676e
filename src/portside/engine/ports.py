"""Published ports as front ends read and show them; ``network.ports`` implements them."""

from __future__ import annotations

from ..network import ports

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import Any


def port_key(text: str) -> str:
    """A container port as a ``Ports`` key: ``80`` -> ``80/tcp``."""
    return ports.port_key(text)


def ports_text(published: dict[str, Any]) -> str:
    """ps's PORTS column: ``0.0.0.0:3000->80/tcp, 443/tcp``."""
    return ports.display(published)
