"""build --build-context: BuildKit's named contexts, a local folder or docker-image://."""

from __future__ import annotations

from pathlib import Path

import pytest

from ..conftest import Portside, store_state, write_tree

pytestmark = pytest.mark.usefixtures("busybox")


def test_a_folder_context_for_copy_from_mount_and_from(portside: Portside, tmp_path: Path) -> None:
    extra = write_tree(tmp_path / "extra", {"hello.txt": "from the named folder\n"})
    context = write_tree(
        tmp_path / "ctx",
        {
            "Dockerfile": "FROM extra AS base\n"
            "FROM busybox\n"
            "COPY --from=extra hello.txt /copied.txt\n"
            "COPY --from=base /hello.txt /from-base.txt\n"
            "RUN --mount=from=extra,target=/x cat /x/hello.txt > /mounted.txt\n"
            'CMD ["cat", "/copied.txt", "/from-base.txt", "/mounted.txt"]\n'
        },
    )
    portside("build", "--build-context", f"extra={extra}", "-t", "named:1", str(context))
    out = portside("run", "--rm", "named:1").stdout
    assert out == "from the named folder\n" * 3

    # a changed file in the named folder misses; the same content is cached
    again = portside("build", "--build-context", f"extra={extra}", "-t", "named:1", str(context))
    assert "Cache miss" not in again.stdout
    (extra / "hello.txt").write_text("changed\n")
    changed = portside("build", "--build-context", f"extra={extra}", "-t", "named:1", str(context))
    assert "Cache miss" in changed.stdout
    assert portside("run", "--rm", "named:1").stdout == "changed\n" * 3


def test_a_named_context_wins_over_a_stage_and_an_image_name(
    portside: Portside, tmp_path: Path
) -> None:
    extra = write_tree(tmp_path / "extra", {"v.txt": "folder\n"})
    context = write_tree(
        tmp_path / "ctx",
        {
            "Dockerfile": "FROM busybox AS deps\n"
            "RUN echo stage > /v.txt\n"
            "FROM alpine:3.19\n"  # not in the store: the named image stands for it
            "COPY --from=deps /v.txt /v.txt\n"
            'CMD ["cat", "/v.txt"]\n'
        },
    )
    portside(
        "build",
        "--build-context",
        f"deps={extra}",
        "--build-context",
        "alpine:3.19=docker-image://busybox:latest",
        "-t",
        "won:1",
        str(context),
    )
    assert portside("run", "--rm", "won:1").stdout == "folder\n"


@pytest.mark.parametrize(
    "value, words",
    [
        ("noequals", "NAME=VALUE expected"),
        ("repo=https://example.com/r.git", "only docker-image:// and local folders"),
        ("img=docker-image://", "no image after docker-image://"),
        ("gone=/no/such/folder", "no such folder"),
    ],
)
def test_a_bad_build_context_is_one_line_and_changes_nothing(
    portside: Portside, tmp_path: Path, value: str, words: str
) -> None:
    context = write_tree(tmp_path / "ctx", {"Dockerfile": "FROM busybox\nRUN true\n"})
    before = store_state(portside.root)
    r = portside("build", "--build-context", value, str(context), check=False)
    assert r.returncode == 1
    assert r.stderr.count("\n") == 1 and words in r.stderr
    assert store_state(portside.root) == before
