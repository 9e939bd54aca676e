"""ADD of a git repository, as BuildKit's: ``ADD https://host/repo.git#REF:SUBDIR
/dest``, ``git://…``, ``git@host:repo.git``, ``ssh://…`` and ``file://…/repo.git``;
``REF`` is a branch, a tag or a commit (default: the remote's HEAD), ``SUBDIR`` a folder
of it whose contents are copied. The ``git`` program fetches the one commit (shallow),
and checks it out into a folder that goes with the build; ``.git`` is removed unless
``--keep-git-dir``. The commit is what the step's cache key hashes (through the files'
digests), so a moved branch misses; ``--checksum=COMMIT`` checks the commit."""

from __future__ import annotations

import os

from ..errors import InvalidArgument

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from pathlib import Path


def is_git_url(src: str) -> bool:
    """``git://``, ``git@``, ``ssh://``, or an http(s) or file URL whose path (before
    any ``#``) has ``.git`` ending it or a folder: BuildKit's test, read by hand (re
    costs a build ~7 ms to import)."""
    if src.startswith(("git://", "git@", "ssh://")):
        return True
    scheme, sep, rest = src.partition("://")
    if not sep or scheme not in ("http", "https", "file"):
        return False
    head = rest.partition("#")[0]
    at = head.find(".git")
    while at >= 0:
        if at + 4 == len(head) or head[at + 4] == "/":
            return True
        at = head.find(".git", at + 1)
    return False


def fetch(url: str, folder: Path, keep_git_dir: bool, checksum: str | None) -> Path:
    """The checkout of ``url`` under ``folder``: its SUBDIR if it names one.
    InvalidArgument (one line) when git is missing, the fetch fails or the commit is
    not ``checksum``."""
    import shutil  # only for a git source: a build without one starts faster

    if shutil.which("git") is None:
        raise InvalidArgument(f"ADD {url}: a git repository needs the git program, not found")
    remote, _, fragment = url.partition("#")
    ref, _, subdir = fragment.partition(":")
    checkout = folder / "checkout"
    _git(url, "init", "-q", str(checkout))
    _git(url, "-C", str(checkout), "fetch", "-q", "--depth", "1", remote, ref or "HEAD")
    _git(url, "-C", str(checkout), "checkout", "-q", "--detach", "FETCH_HEAD")
    commit = _git(url, "-C", str(checkout), "rev-parse", "HEAD").strip()
    if checksum is not None and not commit.startswith(checksum.lower()):
        raise InvalidArgument(f"ADD {url}: the commit is {commit}, not --checksum={checksum}")
    if not keep_git_dir:
        shutil.rmtree(checkout / ".git")
    if not subdir:
        return checkout
    inside = (checkout / subdir).resolve()
    if checkout.resolve() not in inside.parents or not inside.is_dir():
        raise InvalidArgument(f"ADD {url}: no folder {subdir} in the repository")
    return inside


def _git(url: str, *args: str) -> str:
    """``git ARGS``' output; its last error line, one line, when it fails."""
    import subprocess

    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}  # a login prompt would hang the build
    done = subprocess.run(["git", *args], capture_output=True, text=True, env=env)
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        why = lines[-1] if lines else f"exit code {done.returncode}"
        raise InvalidArgument(f"ADD {url}: {why}")
    return done.stdout
