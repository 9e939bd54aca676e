"""How much room a folder of the store takes (a container's upper layer, a volume, a
cache mount): the lengths of the files under it, as ``system df`` counts them."""

from __future__ import annotations

import os


def dir_size(path: os.PathLike[str] | str) -> int:
    """Bytes the files under ``path`` take (their lengths, links' own included)."""
    total = 0
    for dirpath, _, files in os.walk(path):
        for f in files:
            try:
                total += os.lstat(os.path.join(dirpath, f)).st_size
            except OSError:
                pass
    return total
