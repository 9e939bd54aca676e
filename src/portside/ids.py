"""IDs of containers, networks, volumes and exec instances: 64 hex digits, as Docker's;
and the SHA-256 of a short text, which names what is derived from one (an endpoint,
the store's bridges, a build context's cache).

``os.urandom`` is what ``secrets.token_hex`` reads too; importing ``secrets`` (with
``hmac``, ``hashlib`` and ``random``) would cost every ``run`` about 5 ms.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import Any


def new_id() -> str:
    return os.urandom(32).hex()


def sha256_hex(text: str) -> str:
    """Hex SHA-256 of a short ``text``."""
    return Sha256(text.encode()).hexdigest()


class Sha256:
    """SHA-256 of data of any size, as ``hashlib.sha256``. hashlib loads OpenSSL, ~3 ms
    to import here (every start and stop on a bridge, every build paid for it), whose
    SHA-256 is ~5 times as fast as CPython's own on large data: the first MiB is held,
    and only more than that brings hashlib in; less is hashed by CPython's own."""

    __slots__ = ("_held", "_big")
    _LIMIT = 1 << 20

    def __init__(self, data: bytes = b"") -> None:
        self._held = bytearray(data)
        self._big: Any = None
        if len(self._held) > self._LIMIT:
            self._switch()

    def update(self, data: bytes | bytearray | memoryview) -> None:
        if self._big is not None:
            self._big.update(data)
            return
        self._held += data
        if len(self._held) > self._LIMIT:
            self._switch()

    def _switch(self) -> None:
        import hashlib

        self._big = hashlib.sha256(self._held)
        self._held = bytearray()

    def hexdigest(self) -> str:
        if self._big is not None:
            return str(self._big.hexdigest())
        try:
            from _sha256 import sha256  # type: ignore[import-not-found]  # CPython 3.11's
        except ImportError:  # 3.12 calls it _sha2
            from hashlib import sha256
        return str(sha256(self._held).hexdigest())
