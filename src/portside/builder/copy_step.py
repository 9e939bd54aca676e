"""COPY and ADD: their sources (context files, an earlier stage's or an image's files,
ADD's URLs, heredocs) with the digests their cache key hashes, and the copy into the
step's filesystem without a container (ADD extracts a local tar archive).

``--exclude=PATTERN`` (any number; ``.dockerignore``'s syntax) leaves out what it
matches, relative to the folder a source names (a wildcard's matches: relative to the
folder the wildcard is in); the cache key hashes only what is copied. ``--parents``
keeps each source's path under the destination (``x/a.txt`` -> ``DEST/x/a.txt``), from
a ``/./`` in the source on if it has one, as BuildKit's."""

from __future__ import annotations

import os
import posixpath
from collections.abc import Callable

from ..errors import DockerfileError, InvalidArgument
from ..ids import sha256_hex
from .context import BuildContext, Pattern, read_ignore
from .git_source import is_git_url
from .instructions import flag_on
from .shell import process_word

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from collections.abc import Container
    from pathlib import Path

    from _typeshed import StrPath

    from .parser import Node
    from .state import State
    from .step_fs import StepFS

if TYPE_CHECKING:
    # each: its context, relative path, host path, and the path --parents keeps ("": none)
    Sources = list[tuple[BuildContext, str, StrPath, str]]


def inputs(
    context: BuildContext,
    srcs: list[str],
    node: Node,
    download: Callable[[str], Path],
    name: str,
) -> tuple[Sources, dict[str, str]]:
    """The sources (in ``context``, or ADD's URLs through ``download``) and their
    digests. ``name``: the Dockerfile's, for ``NAME:LINE: ...`` errors."""
    found: Sources = []
    digests: dict[str, str] = {}
    excludes = exclude_patterns(node)
    parents = bool(flag_on(node, "parents"))
    for doc in node.heredocs:
        digests[f"<<{doc.name}"] = sha256_hex(doc.content)[:32]
    for src in srcs:
        if src.startswith("<<") and node.heredocs:
            continue
        if src.startswith(("http://", "https://")) or is_git_url(src):
            if node.instruction == "COPY":
                raise DockerfileError(name, node.line, "source can't be a URL for COPY")
            fetched = download(src)  # a file, or a git checkout's folder
            found.append((BuildContext(str(fetched.parent)), fetched.name, fetched, ""))
            got = BuildContext(str(fetched.parent)).digests([fetched.name])
            if is_git_url(src):  # every file of the checkout
                digests.update({f"{src}/{rel}": digest for rel, digest in got.items()})
            else:
                digests[src] = got[fetched.name]
                _check_sum(node, src, fetched, name)
            continue
        try:
            rels = context.sources(src)
        except InvalidArgument as e:
            raise DockerfileError(name, node.line, str(e)) from None
        if not rels:
            raise DockerfileError(
                name,
                node.line,
                f"{node.instruction} failed: file not found in build context or excluded "
                f"by .dockerignore: {src}",
            )
        base = _glob_base(src)
        rels = [r for r in rels if not _matches(excludes, _under(base, r))]
        pivot = _pivot(src) if parents else None
        for rel in rels:
            keep = "" if pivot is None else _under(pivot, rel)
            found.append((context, rel, context.host_path(rel), keep))
            _check_sum(node, rel, context.host_path(rel), name)
        for rel in rels:  # what a folder holds: only what is copied counts
            for path, digest in context.digests([rel]).items():
                if path == (rel or ".") or not _matches(excludes, _under(rel, path)):
                    digests[path] = digest
    return found, digests


def _check_sum(node: Node, shown: str, path: StrPath, name: str) -> None:
    """ADD --checksum=ALGO:HEX: the file's bytes hash to it, else one line."""
    want = node.flags.get("checksum")
    if want is None:
        return
    algorithm, colon, expected = want.partition(":")
    if not colon:
        raise DockerfileError(
            name,
            node.line,
            f"--checksum={want}: a commit is for a git source; {shown} needs sha256:…",
        )
    if not os.path.isfile(path):
        raise DockerfileError(
            name, node.line, f"--checksum needs a file or a URL: {shown} is a folder"
        )
    import hashlib  # ADD --checksum's algorithm

    digest = hashlib.new(algorithm)
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    if digest.hexdigest() != expected:
        raise DockerfileError(
            name,
            node.line,
            f"checksum mismatch for {shown}: {algorithm}:{digest.hexdigest()}, expected {want}",
        )


def exclude_patterns(node: Node) -> list[Pattern]:
    """``--exclude`` patterns, as ``.dockerignore`` lines."""
    return read_ignore("\n".join(node.flag_values("exclude")))


def _matches(patterns: list[Pattern], rel: str) -> bool:
    result = False
    for p in patterns:
        if rel and p.glob.match(rel):
            result = not p.exclusion
    return result


def _under(base: str, rel: str) -> str:
    """``rel`` (context-relative) relative to the folder ``base``."""
    if not base:
        return rel
    return rel[len(base) + 1 :] if rel.startswith(f"{base}/") else rel


def _glob_base(src: str) -> str:
    """The folder a source's first wildcard is in (the source's own parent if none)."""
    parts = posixpath.normpath(src.lstrip("/")).split("/")
    for i, part in enumerate(parts):
        if "*" in part or "?" in part or "[" in part:
            return "/".join(parts[:i]).strip(".")
    return "/".join(parts[:-1]).strip(".")


def _pivot(src: str) -> str:
    """``--parents``: the folder before a ``/./`` in the source, whose path is not kept."""
    head, sep, _ = src.partition("/./")
    return posixpath.normpath(head.lstrip("/")).strip(".") if sep else ""


def download(url: str, folder: Path, node: Node, name: str) -> Path:
    """ADD's URL, fetched into ``folder``: the file named as the URL's last path
    component, mode 0600 and the server's Last-Modified time, as Docker does (a git
    repository: its checkout, git_source.py). Its content digest is what the cache key
    hashes."""
    if is_git_url(url):
        from .git_source import fetch

        try:
            return fetch(
                url, folder, bool(flag_on(node, "keep-git-dir")), node.flags.get("checksum")
            )
        except InvalidArgument as e:
            raise DockerfileError(name, node.line, str(e)) from None
    import email.utils
    import shutil
    import urllib.error
    import urllib.parse
    import urllib.request

    path = folder / (posixpath.basename(urllib.parse.urlparse(url).path) or "download")
    try:
        with urllib.request.urlopen(url, timeout=60) as response, open(path, "wb") as out:
            shutil.copyfileobj(response, out)
            modified = response.headers.get("Last-Modified")
    except (urllib.error.URLError, OSError, ValueError) as e:
        reason = getattr(e, "reason", e)
        raise DockerfileError(name, node.line, f"ADD {url}: {reason}") from None
    os.chmod(path, 0o600)
    if modified:
        try:
            when = email.utils.parsedate_to_datetime(modified).timestamp()
            os.utime(path, (when, when))
        except (TypeError, ValueError):
            pass
    return path


def copy(
    state: State,
    node: Node,
    words: list[str],
    fs: StepFS,
    sources: Sources,
    downloaded: Container[StrPath],
    name: str,
) -> str:
    """Copy ``sources`` (and the heredocs) to the step's destination ``words[-1]``;
    what the image's history says made the layer. ``downloaded``: ADD's URL files,
    copied as they are, never extracted."""
    from ..image.path_archive import Source, Target
    from ..image.path_archive import copy as copy_tree
    from ..runtime.scope import host_path_in, makedirs_in_root
    from ..runtime.users import resolve_user

    dest_text = words[-1]
    workdir = state.config.get("WorkingDir") or "/"
    dest = posixpath.normpath(posixpath.join(workdir, dest_text))
    parents = bool(flag_on(node, "parents"))
    to_dir = (
        dest_text in (".", "./")
        or dest_text.endswith(("/", "/."))
        or len(words) > 2
        or len(sources) > 1
        or parents
    )
    owner = (0, 0)
    if "chown" in node.flags:
        user = resolve_user(fs.root, process_word(node.flags["chown"], state.env()))
        owner = (user.uid, user.gid)
    mode = None
    if "chmod" in node.flags:
        try:
            mode = int(node.flags["chmod"], 8)
        except ValueError:
            raise DockerfileError(
                name,
                node.line,
                f"invalid chmod {node.flags['chmod']!r}: an octal mode",
            ) from None
    host_dest = host_path_in(fs.root, dest)
    if not to_dir and os.path.isdir(host_dest) and sources and not os.path.isdir(sources[0][2]):
        to_dir = True
    for doc in node.heredocs:
        target_file = os.path.join(host_dest, doc.name) if to_dir else host_dest
        makedirs_in_root(fs.root, posixpath.dirname(dest) if not to_dir else dest)
        text = _expand_vars(doc.content, state.env()) if doc.expand else doc.content
        with open(target_file, "w", encoding="utf-8") as f:
            f.write(text)
        os.chown(target_file, *owner)
        os.chmod(target_file, mode if mode is not None else 0o644)
    excludes = exclude_patterns(node)
    for context, rel, where, keep in sources:
        host = os.fspath(where)
        local = where not in downloaded
        if node.instruction == "ADD" and local and os.path.isfile(host) and _is_archive(host):
            makedirs_in_root(fs.root, dest)
            from ..image.compression import decompressed
            from ..image.layer import apply_tar

            with open(host, "rb") as raw:
                plain, _ = decompressed(raw)

                staging = host_path_in(fs.root, dest)
                apply_tar(
                    plain,
                    staging,
                    whiteouts=False,
                    owner=owner if "chown" in node.flags else None,
                )
            continue
        is_dir = os.path.isdir(host)
        base = posixpath.basename(rel) or "."
        source = Source(host, base, is_dir, contents_only=is_dir)
        if is_dir or to_dir:  # a folder's contents, or files into the folder dest
            into = dest
            if parents:  # under its own path: x/a.txt -> DEST/x/a.txt
                into = posixpath.join(dest, keep if is_dir else posixpath.dirname(keep))
            makedirs_in_root(fs.root, into)
            target = Target(host_path_in(fs.root, into), into)
        else:
            parent = posixpath.dirname(dest)
            makedirs_in_root(fs.root, parent)
            target = Target(host_path_in(fs.root, parent), parent, rename=posixpath.basename(dest))
        copy_tree(source, target, owner, mode=mode, skip=_ignoring(context, rel, excludes))
    return f"{node.instruction} {node.text}"


def _ignoring(
    context: BuildContext, rel: str, excludes: list[Pattern]
) -> Callable[[str], bool] | None:
    """What a folder's copy leaves out (.dockerignore, --exclude): its entries' names
    are relative to the folder."""
    if not context.patterns and not excludes:
        return None
    return lambda entry: (
        _matches(excludes, entry) or context.ignored(posixpath.join(rel, entry) if rel else entry)
    )


def _expand_vars(text: str, env: dict[str, str]) -> str:
    """$NAME and ${NAME} in a COPY heredoc with an unquoted terminator (unknown: empty)."""
    import re  # only for heredocs: re costs a build ~7 ms to import

    name = r"[A-Za-z_][A-Za-z0-9_]*"
    return re.sub(
        rf"\$(?:\{{({name})\}}|({name}))", lambda m: env.get(m.group(1) or m.group(2), ""), text
    )


def _is_archive(path: StrPath) -> bool:
    import tarfile

    from ..image.compression import decompressed

    try:
        with open(path, "rb") as raw:
            plain, _ = decompressed(raw)
            block = plain.read(512)
        if len(block) < 512:
            return False
        return tarfile.TarInfo.frombuf(block, "utf-8", "surrogateescape") is not None
    except Exception:  # noqa: BLE001 - not a tar: ADD copies it as a file
        return False
