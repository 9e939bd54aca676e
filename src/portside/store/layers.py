"""Extracted layers: one directory per layer, ``<root>/layers/<hex of diff ID>/diff``.

Each directory holds exactly one layer's changes, with whiteouts in overlayfs form
(character device 0/0, ``trusted.overlay.opaque``), ready to be an overlayfs lower
directory. Images that share a layer share its directory.

A layer is extracted into ``<root>/tmp/<pid>-<rand>/diff`` and renamed into place on
commit; removal renames it back to ``tmp/`` first. A crash therefore never leaves a
partial layer under its final name, and ``tempnames.sweep_stale`` clears the rest.
"""

from __future__ import annotations

import os

from .content import digest_path
from .tempnames import remove_tree, temp_name

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from _typeshed import StrPath


class LayerStore:
    """Layer directories under ``root``; paths are strings, as the settings' are
    (config.py), except a writer's work directory, which writers extend with pathlib."""

    def __init__(self, root: str) -> None:
        self.layer_dir = f"{root}/layers"
        self.tmp_dir = f"{root}/tmp"
        for folder in (self.layer_dir, self.tmp_dir):
            os.makedirs(folder, exist_ok=True)

    def path(self, diff_id: str) -> str:
        return digest_path(self.layer_dir, diff_id)

    def diff_path(self, diff_id: str) -> str:
        return f"{self.path(diff_id)}/diff"

    def lower_paths(self, diff_ids: Sequence[str]) -> list[str]:
        """The directories of ``diff_ids`` (lowest first) for an overlay: topmost first."""
        return [self.diff_path(d) for d in reversed(diff_ids)]

    def exists(self, diff_id: str) -> bool:
        return os.path.isdir(self.path(diff_id))

    def new_work_dir(self) -> str:
        """A fresh directory to extract one layer into; its ``diff`` is the layer root."""
        work = f"{self.tmp_dir}/{temp_name()}"
        os.makedirs(f"{work}/diff")
        return work

    def discard(self, work: StrPath) -> None:
        remove_tree(work)

    def commit(self, work: StrPath, diff_id: str) -> bool:
        """Move an extracted layer into place; False when it was already there."""
        final = self.path(diff_id)
        if os.path.exists(final):
            self.discard(work)
            return False
        os.rename(work, final)
        return True

    def remove(self, diff_id: str) -> None:
        final = self.path(diff_id)
        if not os.path.exists(final):
            return
        doomed = f"{self.tmp_dir}/{temp_name()}"
        os.rename(final, doomed)
        remove_tree(doomed)

    def diff_ids(self) -> Iterator[str]:
        for name in os.listdir(self.layer_dir):
            yield "sha256:" + name
