"""IDs of containers, networks, volumes and exec instances: 64 hex digits, as Docker's;
and the SHA-256 of a short text, which names what is derived from one (an endpoint,
the store's bridges, a build context's cache).

``os.urandom`` is what ``secrets.token_hex`` reads too; importing ``secrets`` (with
``hmac``, ``hashlib`` and ``random``) would cost every ``run`` about 5 ms.
"""

from __future__ import annotations

import os


def new_id() -> str:
    return os.urandom(32).hex()


def sha256_hex(text: str) -> str:
    """Hex SHA-256 of a short ``text``, by CPython's own SHA-256: hashlib loads OpenSSL,
    ~7 ms here, which every start and stop on a bridge, and every build, paid for."""
    try:
        from _sha256 import sha256  # type: ignore[import-not-found]  # CPython 3.11's
    except ImportError:  # 3.12 calls it _sha2
        from hashlib import sha256
    return str(sha256(text.encode()).hexdigest())
