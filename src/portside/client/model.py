"""What docker-py's ``Image``, ``Container`` and ``Network`` share: the inspect JSON as
``attrs``, ``id`` and ``short_id``, and equality by ID."""

from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import Any


class Model:
    def __init__(self, attrs: dict[str, Any], collection: Any) -> None:
        self.attrs = attrs
        self.collection = collection

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.short_id}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, type(self)) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    @property
    def id(self) -> str:
        return str(self.attrs["Id"])

    @property
    def short_id(self) -> str:
        return self.id[:12]
