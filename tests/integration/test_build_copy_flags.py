"""COPY and ADD with BuildKit's newer flags: ``--parents`` (with ``**`` and the ``/./``
pivot), ``--exclude``, ``--link``, ``ADD --checksum``, ``ADD`` of a git repository, and
the ``# syntax=`` / ``# check=`` directives."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import pytest

from ..conftest import Portside, store_state, write_tree

pytestmark = pytest.mark.usefixtures("busybox")


def listing(portside: Portside, image: str, *folders: str) -> list[str]:
    out = portside("run", "--rm", image, "find", *folders).stdout
    return sorted(out.split())


def test_parents_keep_each_source_path(portside: Portside, tmp_path: Path) -> None:
    ctx = write_tree(
        tmp_path / "ctx",
        {
            "x/a.txt": "xa",
            "x/y/b.txt": "xb",
            "y/a.txt": "ya",
            "src/a.txt": "1",
            "src/x/b.txt": "2",
            "src/x/y/c.txt": "3",
            "src/x/m.go": "go",
            "Dockerfile": "FROM busybox\n"
            "COPY ./x/a.txt ./y/a.txt /no_parents/\n"
            "COPY --parents ./x/a.txt ./y/a.txt /parents/\n"
            "COPY --parents ./x/./y/*.txt /pivot/\n"
            "COPY --parents ./src/**/*.txt /deep/\n"
            "COPY --parents=false x/a.txt /off/\n",
        },
    )
    portside("build", "-t", "parents", str(ctx))
    assert listing(portside, "parents", "/no_parents", "/parents", "/pivot", "/deep", "/off") == [
        "/deep",
        "/deep/src",
        "/deep/src/a.txt",
        "/deep/src/x",
        "/deep/src/x/b.txt",
        "/deep/src/x/y",
        "/deep/src/x/y/c.txt",
        "/no_parents",
        "/no_parents/a.txt",
        "/off",
        "/off/a.txt",
        "/parents",
        "/parents/x",
        "/parents/x/a.txt",
        "/parents/y",
        "/parents/y/a.txt",
        "/pivot",
        "/pivot/y",
        "/pivot/y/b.txt",
    ]
    # without --parents the later a.txt wins, as BuildKit's
    assert portside("run", "--rm", "parents", "cat", "/no_parents/a.txt").stdout == "ya"


def test_exclude_leaves_out_what_it_matches_and_the_key_ignores_it(
    portside: Portside, tmp_path: Path
) -> None:
    ctx = write_tree(
        tmp_path / "ctx",
        {
            "home.txt": "1",
            "home.md": "2",
            "homer.sh": "3",
            "pkg/a/a.go": "4",
            "pkg/a/a_test.go": "5",
            "pkg/README": "6",
            "Dockerfile": "FROM busybox\n"
            "COPY --exclude=*.txt --exclude=*.md hom* /mydir/\n"
            "COPY --exclude=**/*_test.go pkg /pkg/\n"
            "ADD --exclude=README --link pkg /added/\n"
            "RUN find /mydir /pkg /added | sort > /listing\n",
        },
    )
    portside("build", "-t", "excl", str(ctx))
    assert portside("run", "--rm", "excl", "cat", "/listing").stdout.split() == [
        "/added",
        "/added/a",
        "/added/a/a.go",
        "/added/a/a_test.go",
        "/mydir",
        "/mydir/homer.sh",
        "/pkg",
        "/pkg/README",
        "/pkg/a",
        "/pkg/a/a.go",
    ]
    # a change to an excluded file is no change to the step
    (ctx / "pkg/a/a_test.go").write_text("changed")
    (ctx / "home.md").write_text("changed")
    again = portside("build", str(ctx)).stdout
    assert again.count("Using cache") == 2 and "Cache miss: changed pkg/a/a_test.go" in again
    assert "COPY --exclude=**/*_test.go pkg /pkg/\n ---> Using cache" in again

    (ctx / "Dockerfile").write_text("FROM busybox\nCOPY --parents=maybe pkg /x/\n")
    r = portside("build", str(ctx), check=False)
    assert r.returncode == 1
    assert r.stderr == "Error: Dockerfile:2: invalid --parents=maybe: true or false\n"


def test_add_checksum_verifies_a_file(portside: Portside, tmp_path: Path) -> None:
    ctx = write_tree(tmp_path / "ctx", {"data.bin": "payload\n"})
    good = hashlib.sha256(b"payload\n").hexdigest()
    (ctx / "Dockerfile").write_text(f"FROM busybox\nADD --checksum=sha256:{good} data.bin /d\n")
    portside("build", "-t", "sum", str(ctx))
    assert portside("run", "--rm", "sum", "cat", "/d").stdout == "payload\n"

    before = store_state(portside.root)
    bad = "0" * 64
    (ctx / "Dockerfile").write_text(
        f"FROM busybox\nRUN true\nADD --checksum=sha256:{bad} data.bin /d\n"
    )
    r = portside("build", str(ctx), check=False)
    assert r.returncode == 1
    assert r.stderr == (
        f"Error: Dockerfile:3: checksum mismatch for data.bin: sha256:{good}, "
        f"expected sha256:{bad}\n"
    )
    (ctx / "Dockerfile").write_text("FROM busybox\nADD --checksum=md5:abc data.bin /d\n")
    r = portside("build", str(ctx), check=False)
    assert r.returncode == 1 and r.stderr.startswith(
        "Error: Dockerfile:2: invalid --checksum=md5:abc"
    )
    assert store_state(portside.root)[1]["images"] == before[1]["images"]


def test_add_checksum_verifies_a_download(
    portside: Portside, tmp_path: Path, http_files: tuple[Path, str]
) -> None:
    served, base = http_files
    (served / "tool.tar.gz").write_bytes(b"release 1\n")
    good = hashlib.sha512(b"release 1\n").hexdigest()
    ctx = write_tree(
        tmp_path / "ctx",
        {"Dockerfile": f"FROM busybox\nADD --checksum=sha512:{good} {base}/tool.tar.gz /t\n"},
    )
    portside("build", "-t", "dl", str(ctx))
    assert portside("run", "--rm", "dl", "cat", "/t").stdout == "release 1\n"

    (served / "tool.tar.gz").write_bytes(b"release 1, tampered\n")  # same name, new bytes
    r = portside("build", str(ctx), check=False)
    assert r.returncode == 1
    got = hashlib.sha512(b"release 1, tampered\n").hexdigest()
    assert r.stderr == (
        f"Error: Dockerfile:2: checksum mismatch for {base}/tool.tar.gz: sha512:{got}, "
        f"expected sha512:{good}\n"
    )


def git(*args: str, cwd: Path) -> str:
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t"}
    env["GIT_COMMITTER_EMAIL"] = "t@t"
    done = subprocess.run(
        ["git", *args], cwd=cwd, env={**os.environ, **env}, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_add_a_git_repository(portside: Portside, tmp_path: Path) -> None:
    work = write_tree(tmp_path / "work", {"README": "one\n", "sub/s.txt": "s\n"})
    git("init", "-q", "-b", "main", cwd=work)
    git("add", "-A", cwd=work)
    git("commit", "-qm", "one", cwd=work)
    git("tag", "v1", cwd=work)
    first = git("rev-parse", "HEAD", cwd=work)
    (work / "README").write_text("two\n")
    git("commit", "-qam", "two", cwd=work)
    bare = tmp_path / "repo.git"
    git("clone", "-q", "--bare", str(work), str(bare), cwd=tmp_path)
    url = f"file://{bare}"
    ctx = write_tree(
        tmp_path / "ctx",
        {
            "Dockerfile": "FROM busybox\n"
            f"ADD {url} /main/\n"
            f"ADD {url}#v1 /v1/\n"
            f"ADD {url}#main:sub /sub/\n"
            f"ADD --keep-git-dir --checksum={first} {url}#v1 /kept/\n"
        },
    )
    portside("build", "-t", "fromgit", str(ctx))
    shown = portside(
        "run", "--rm", "fromgit", "sh", "-c", "cat /main/README /v1/README; ls -A /main /sub /kept"
    ).stdout
    assert shown == "two\none\n/kept:\n.git\nREADME\nsub\n\n/main:\nREADME\nsub\n\n/sub:\ns.txt\n"

    # a new commit on main: the step that follows main misses, the tag's stays
    (work / "README").write_text("three\n")
    git("commit", "-qam", "three", cwd=work)
    git("push", "-q", str(bare), "main", cwd=work)
    again = portside("build", str(ctx)).stdout
    assert f"ADD {url} /main/\n ---> Cache miss: changed {url}/checkout/README" in again

    (ctx / "Dockerfile").write_text(f"FROM busybox\nADD --checksum=deadbeef {url}#v1 /x/\n")
    r = portside("build", str(ctx), check=False)
    assert r.returncode == 1
    assert (
        r.stderr
        == f"Error: Dockerfile:2: ADD {url}#v1: the commit is {first}, not --checksum=deadbeef\n"
    )
    (ctx / "Dockerfile").write_text(f"FROM busybox\nADD {url}#nope /x/\n")
    r = portside("build", str(ctx), check=False)
    assert r.returncode == 1 and r.stderr.startswith(f"Error: Dockerfile:2: ADD {url}#nope: ")
    assert len(r.stderr.splitlines()) == 1


def test_syntax_and_check_directives_are_reported(portside: Portside, tmp_path: Path) -> None:
    ctx = write_tree(
        tmp_path / "ctx",
        {
            "Dockerfile": "# syntax=docker/dockerfile:1.7-labs\n"
            "# check=skip=JSONArgsRecommended;error=true\n"
            "FROM busybox\nCMD echo hi\n"
        },
    )
    lines = portside("build", str(ctx)).stdout.splitlines()
    assert lines[:3] == [
        "# syntax=docker/dockerfile:1.7-labs: not fetched; "
        "portside's own Dockerfile frontend builds",
        "# check=skip=JSONArgsRecommended;error=true: portside runs no build checks",
        "Step 1/2 : FROM busybox",
    ]


def test_parents_and_exclude_from_a_stage(portside: Portside, tmp_path: Path) -> None:
    ctx = write_tree(
        tmp_path / "ctx",
        {
            "Dockerfile": "FROM busybox AS src\n"
            "RUN mkdir -p /w/a/b /w/c && echo 1 > /w/a/b/x.txt && echo 2 > /w/c/y.txt"
            " && echo 3 > /w/c/z.md\n"
            "FROM busybox\n"
            "COPY --from=src --parents /w/./**/*.txt /out/\n"
            "COPY --from=src --exclude=*.md /w/c /c/\n"
        },
    )
    portside("build", "-t", "fromstage", str(ctx))
    assert listing(portside, "fromstage", "/out", "/c") == [
        "/c",
        "/c/y.txt",
        "/out",
        "/out/a",
        "/out/a/b",
        "/out/a/b/x.txt",
        "/out/c",
        "/out/c/y.txt",
    ]
