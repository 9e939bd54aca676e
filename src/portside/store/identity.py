"""The store's engine ID (``info``'s ``ID``): made once, then the same for every command
on this store.

It is written as every small file the store depends on: to a temporary file, fsynced,
then linked to its name, and the folder fsynced. ``link`` fails when the name exists,
so two first commands racing keep one ID: the loser reads the winner's.
"""

from __future__ import annotations

import base64
import os

from .content import fsync_dir
from .tempnames import temp_name

FILE = "engine-id"


def engine_id(root: str) -> str:
    path = f"{root}/{FILE}"
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    tmp = f"{root}/.{FILE}.{temp_name()}"
    with open(tmp, "x") as f:
        f.write(_new_id() + "\n")
        f.flush()
        os.fsync(f.fileno())
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        os.unlink(tmp)
    fsync_dir(root)
    return _read(path)


def _read(path: str) -> str:
    with open(path) as f:
        return f.read().strip()


def _new_id() -> str:
    """Docker 20.10's form: 240 random bits in base32, in twelve groups of four
    (``GX2Z:EWBF:…:CN2O``)."""
    text = base64.b32encode(os.urandom(30)).decode()
    return ":".join(text[i : i + 4] for i in range(0, 48, 4))
