"""IDs of containers, networks, volumes and exec instances: 64 hex digits, as Docker's.

``os.urandom`` is what ``secrets.token_hex`` reads too; importing ``secrets`` (with
``hmac``, ``hashlib`` and ``random``) would cost every ``run`` about 5 ms.
"""

from __future__ import annotations

import os


def new_id() -> str:
    return os.urandom(32).hex()
