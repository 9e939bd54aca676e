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
from collections.abc import Iterator
from pathlib import Path

from .content import check_digest
from .tempnames import remove_tree, temp_name


class LayerStore:
    def __init__(self, root: Path) -> None:
        self.layer_dir = root / "layers"
        self.tmp_dir = root / "tmp"
        self.layer_dir.mkdir(parents=True, exist_ok=True)
        self.tmp_dir.mkdir(parents=True, exist_ok=True)

    def path(self, diff_id: str) -> Path:
        return self.layer_dir / check_digest(diff_id).removeprefix("sha256:")

    def diff_path(self, diff_id: str) -> Path:
        return self.path(diff_id) / "diff"

    def exists(self, diff_id: str) -> bool:
        return self.path(diff_id).is_dir()

    def new_work_dir(self) -> Path:
        """A fresh directory to extract one layer into; its ``diff`` is the layer root."""
        work = self.tmp_dir / temp_name()
        (work / "diff").mkdir(parents=True)
        return work

    def discard(self, work: Path) -> None:
        remove_tree(work)

    def commit(self, work: Path, diff_id: str) -> bool:
        """Move an extracted layer into place; False when it was already there."""
        final = self.path(diff_id)
        if final.exists():
            self.discard(work)
            return False
        os.rename(work, final)
        return True

    def remove(self, diff_id: str) -> None:
        final = self.path(diff_id)
        if not final.exists():
            return
        doomed = self.tmp_dir / temp_name()
        os.rename(final, doomed)
        remove_tree(doomed)

    def diff_ids(self) -> Iterator[str]:
        for name in os.listdir(self.layer_dir):
            yield "sha256:" + name
