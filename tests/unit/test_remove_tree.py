"""remove_tree is ``rm -rf`` that never follows a symbolic link out of the tree."""

from __future__ import annotations

import os
from pathlib import Path

from portside.store.tempnames import remove_tree


def test_removes_a_tree_of_files_folders_links_and_devices(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "kept").write_text("kept")
    tree = tmp_path / "tree"
    (tree / "a" / "b" / "c").mkdir(parents=True)
    (tree / "a" / "file").write_text("x")
    (tree / "a" / "b" / "c" / "deep").write_text("y")
    (tree / "a" / "to-dir").symlink_to(outside)
    (tree / "a" / "to-file").symlink_to(outside / "kept")
    (tree / "dangling").symlink_to(tmp_path / "nowhere")
    os.mknod(tree / "a" / "whiteout", 0o600 | 0o020000, os.makedev(0, 0))  # as overlayfs's
    readonly = tree / "readonly"
    readonly.mkdir()
    (readonly / "inside").write_text("z")
    readonly.chmod(0o555)

    remove_tree(tree)

    assert not tree.exists()
    assert (outside / "kept").read_text() == "kept"


def test_a_link_given_itself_is_removed_not_followed(tmp_path: Path) -> None:
    target = tmp_path / "target"
    target.mkdir()
    (target / "kept").write_text("kept")
    link = tmp_path / "link"
    link.symlink_to(target)

    remove_tree(link)

    assert not os.path.lexists(link)
    assert (target / "kept").read_text() == "kept"


def test_a_file_or_nothing_at_all(tmp_path: Path) -> None:
    file = tmp_path / "file"
    file.write_text("x")
    remove_tree(file)
    remove_tree(str(tmp_path / "missing"))
    assert os.listdir(tmp_path) == []
