"""Golden Dockerfiles: each folder under tests/golden/dockerfiles/good holds a Dockerfile
and the parse it must give (parse.json); each under bad/ a Dockerfile and the one-line
error it must give (error.txt). ``PORTSIDE_GOLDEN_UPDATE=1`` rewrites the expected files
from the current parser, for review in the diff."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from portside.builder.dockerfile import decode, parse
from portside.builder.instructions import plan
from portside.builder.parser import Node
from portside.errors import DockerfileError

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "dockerfiles"
UPDATE = os.environ.get("PORTSIDE_GOLDEN_UPDATE") == "1"


def _cases(kind: str) -> list[Path]:
    return sorted(p for p in (GOLDEN / kind).iterdir() if p.is_dir())


def _node(node: Node) -> dict[str, Any]:
    return {
        "line": node.line,
        "end_line": node.end_line,
        "instruction": node.instruction,
        "flags": node.flags,
        "args": node.text,
        "json": node.json,
        "heredocs": [
            {"name": h.name, "content": h.content, "expand": h.expand, "chomp": h.chomp}
            for h in node.heredocs
        ],
    }


def _dump(case: Path) -> dict[str, Any]:
    dockerfile = parse(decode((case / "Dockerfile").read_bytes()))
    built = plan(dockerfile)
    return {
        "directives": dockerfile.directives,
        "escape": dockerfile.escape,
        "global_args": [_node(n) for n in built.global_args],
        "stages": [
            {
                "base": s.base,
                "name": s.name,
                "platform": s.platform,
                "line": s.line,
                "steps": [_node(n) for n in s.nodes],
            }
            for s in built.stages
        ],
    }


@pytest.mark.parametrize("case", _cases("good"), ids=lambda p: p.name)
def test_good_dockerfiles_parse_as_expected(case: Path) -> None:
    got = _dump(case)
    expected_file = case / "parse.json"
    if UPDATE:
        expected_file.write_text(json.dumps(got, indent=2, ensure_ascii=False) + "\n")
    assert got == json.loads(expected_file.read_text())


@pytest.mark.parametrize("case", _cases("bad"), ids=lambda p: p.name)
def test_bad_dockerfiles_fail_with_file_and_line(case: Path) -> None:
    with pytest.raises(DockerfileError) as caught:
        plan(parse(decode((case / "Dockerfile").read_bytes())))
    expected_file = case / "error.txt"
    if UPDATE:
        expected_file.write_text(str(caught.value) + "\n")
    assert str(caught.value) == expected_file.read_text().rstrip("\n")
    assert str(caught.value).startswith("Dockerfile:")
