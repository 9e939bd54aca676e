"""A container's init layer: the mount points portside and runc need, as Docker's init
layer holds them, so they never land in the container's own changes (diff, commit).

It is written at a container's first start (every ``run``), so it works on ``str``
paths with os calls: pathlib would cost that start a few milliseconds
(docs/architecture.md, "What a short command loads").
"""

from __future__ import annotations

import os
import posixpath

from ..store.tempnames import remove_tree
from .container_paths import INIT_PATH

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from collections.abc import Sequence

    from _typeshed import StrPath


def write_init_layer(init: StrPath, image: Sequence[StrPath], with_init: bool) -> None:
    """The init layer at ``init``, over the image's layers ``image`` (topmost first).
    Nothing that the image has as a symlink is shadowed by a directory."""
    init = os.fspath(init)
    tmp = init + ".tmp"
    remove_tree(tmp)
    os.mkdir(tmp)
    files = ["etc/hosts", "etc/hostname", "etc/resolv.conf"]
    if with_init:
        files.append(INIT_PATH.lstrip("/"))
    for rel in ["proc", "sys", "dev", *files]:
        parent = posixpath.dirname(rel)
        if parent and not os.path.isdir(f"{tmp}/{parent}"):
            if _not_a_dir_in(image, parent):
                continue
            os.makedirs(f"{tmp}/{parent}", mode=0o755)
        if rel in files:
            os.close(os.open(f"{tmp}/{rel}", os.O_CREAT | os.O_WRONLY, 0o644))  # touch
        elif not _not_a_dir_in(image, rel):
            os.mkdir(f"{tmp}/{rel}", 0o755)
    os.rename(tmp, init)


def _not_a_dir_in(image: Sequence[StrPath], rel: str) -> bool:
    """Whether the image's topmost layer with ``rel`` has something other than a folder."""
    found = (os.path.join(layer, rel) for layer in image)
    top = next((path for path in found if os.path.lexists(path)), None)
    return top is not None and (os.path.islink(top) or not os.path.isdir(top))
