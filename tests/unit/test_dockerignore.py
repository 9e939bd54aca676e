""".dockerignore patterns as Docker's pattern matcher reads them."""

from __future__ import annotations

from pathlib import Path

import pytest

from portside.builder.context import BuildContext, read_ignore


@pytest.mark.parametrize(
    ("patterns", "path", "ignored"),
    [
        ("*.md", "README.md", True),
        ("*.md", "docs/guide.md", False),  # * stays within one component
        ("**/*.md", "docs/deep/guide.md", True),
        ("**/*.md", "README.md", True),  # ** matches no folder too
        ("docs", "docs/guide.md", True),  # a folder takes everything under it
        ("/build", "build/out.o", True),  # a leading / is dropped
        ("temp?", "temp1", True),
        ("temp?", "temp12", False),
        ("[ab].txt", "a.txt", True),
        ("[!ab].txt", "c.txt", True),
        ("*.log\n!keep.log", "keep.log", False),  # ! puts one back
        ("*.log\n!keep.log", "drop.log", True),
        ("!keep.log\n*.log", "keep.log", True),  # the last match wins
        ("# a comment\n\n  node_modules  ", "node_modules/x/y.js", True),
        ("./secret", "secret", True),
    ],
)
def test_patterns(patterns: str, path: str, ignored: bool) -> None:
    assert BuildContext(Path("/nonexistent"), read_ignore(patterns)).ignored(path) is ignored
