"""The build context: a folder, what ``.dockerignore`` leaves of it, and COPY's sources.

``.dockerignore`` as Docker reads it: one pattern per line, ``#`` comments, a leading
``/`` dropped, ``*`` and ``?`` within one path component, ``**`` across any number of
them, ``!`` re-including what an earlier pattern excluded; the last matching pattern
wins, and a pattern that matches a folder matches everything under it.

Content digests (what COPY's cache key hashes) cover each file's relative path, mode,
owner, link target and bytes, never its modification time, so a fresh checkout of the
same tree hits the cache. A stat cache (kept per context in the store) skips re-reading
files whose stat did not change since they were last hashed.

Paths are strings here, as the store's are (docs/architecture.md, "What a short command
loads"): a fully cached build reads the context and nothing more, and pathlib, re and
json would be a fifth of its time.
"""

from __future__ import annotations

import os
import posixpath
import stat
import time

from ..errors import InvalidArgument
from ..ids import Sha256
from ..records import dataclass, field
from ..runtime.scope import container_path
from .ignore_glob import Glob

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from pathlib import Path
    from typing import BinaryIO

    from _typeshed import StrPath


def has_glob(text: str) -> bool:
    """Whether ``text`` holds a wildcard (``*``, ``?`` or ``[``)."""
    return "*" in text or "?" in text or "[" in text


@dataclass(frozen=True)
class Pattern:
    glob: Glob
    exclusion: bool  # "!pattern": matching paths are included again


def read_ignore(text: str) -> list[Pattern]:
    patterns = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        exclusion = line.startswith("!")
        if exclusion:
            line = line[1:].strip()
        line = posixpath.normpath(line).lstrip("/")
        if line in ("", "."):
            continue
        patterns.append(Pattern(Glob(line), exclusion))
    return patterns


@dataclass
class BuildContext:
    root: str  # absolute, its links resolved
    patterns: list[Pattern] = field(default_factory=list)
    # host path -> (stat key, digest): files whose stat did not change are not re-read
    stat_cache: dict[str, tuple[list[int], str]] = field(default_factory=dict)

    @classmethod
    def open(cls, root: StrPath) -> BuildContext:
        if not os.path.isdir(root):
            raise InvalidArgument(f"unable to prepare context: path {os.fspath(root)!r} not found")
        ignore = os.path.join(root, ".dockerignore")
        patterns = []
        if os.path.isfile(ignore):
            with open(ignore, errors="replace") as f:
                patterns = read_ignore(f.read())
        return cls(os.path.realpath(root), patterns)

    def _host(self, rel: str) -> str:
        return f"{self.root}/{rel}" if rel else self.root

    def ignored(self, rel: str) -> bool:
        """Whether the context-relative path ``rel`` is left out by .dockerignore."""
        result = False
        for p in self.patterns:
            if p.glob.match(rel):
                result = not p.exclusion
        return result

    def sources(self, src: str) -> list[str]:
        """The context-relative paths one COPY source names (globs expanded), sorted;
        refusing any that leaves the context."""
        clean = container_path(src).lstrip("/")
        raw = posixpath.normpath(src)
        if raw == ".." or raw.startswith("../"):
            raise InvalidArgument(f"forbidden path outside the build context: {src}")
        if not has_glob(clean):
            found = [clean] if clean in ("", ".") or os.path.lexists(self._host(clean)) else []
        else:
            found = self._glob(clean)
        found = [f if f not in ("", ".") else "" for f in found]
        kept = [f for f in found if f == "" or not self.ignored(f)]
        for rel in kept:
            self.host_path(rel)  # refuses a symlink out of the context
        return sorted(kept)

    def _glob(self, pattern: str) -> list[str]:
        import fnmatch  # a COPY with a wildcard

        parts = pattern.split("/")
        matches = [""]
        for part in parts:
            nxt = []
            for base in matches:
                folder = self._host(base)
                if part == "**":  # any number of folders, none included
                    nxt += [base, *self._below(base)]
                    continue
                if not has_glob(part):
                    candidate = f"{base}/{part}" if base else part
                    if os.path.lexists(self._host(candidate)):
                        nxt.append(candidate)
                    continue
                try:
                    names = sorted(os.listdir(folder))
                except (NotADirectoryError, FileNotFoundError):
                    continue
                nxt += [f"{base}/{n}" if base else n for n in names if fnmatch.fnmatchcase(n, part)]
            matches = nxt
        return matches

    def _below(self, base: str) -> list[str]:
        """Every path under the folder ``base`` (no symlink followed), sorted."""
        found = []
        for dirpath, dirnames, filenames in os.walk(self._host(base)):
            dirnames.sort()
            rel = os.path.relpath(dirpath, self.root)
            rel = "" if rel == "." else rel
            found += [f"{rel}/{n}" if rel else n for n in sorted([*dirnames, *filenames])]
        return found

    def host_path(self, rel: str) -> str:
        """The host path of ``rel``, its symlinks followed, never leaving the context."""
        path = os.path.realpath(self._host(rel)) if rel else self.root
        if path != self.root and not path.startswith(self.root.rstrip("/") + "/"):
            raise InvalidArgument(f"forbidden path outside the build context: {rel}")
        return path

    def walk(self, rel: str) -> list[str]:
        """``rel`` and everything under it that .dockerignore keeps, sorted."""
        top = self.host_path(rel)
        out = [rel]
        if os.path.isdir(top):
            for dirpath, dirnames, filenames in os.walk(top):
                dirnames.sort()
                base = os.path.relpath(dirpath, self.root)
                base = "" if base == "." else base
                for name in sorted([*dirnames, *filenames]):
                    child = f"{base}/{name}" if base else name
                    if not self.ignored(child):
                        out.append(child)
                dirnames[:] = [d for d in dirnames if not self.ignored(f"{base}/{d}".lstrip("/"))]
        return out

    def digests(self, rels: list[str]) -> dict[str, str]:
        """rel -> digest of (mode, owner, link target, content) for each path under each
        of ``rels``: what COPY's cache key is made of."""
        out: dict[str, str] = {}
        for rel in rels:
            for path in self.walk(rel):
                host = self._host(path)
                if path == rel:
                    host = self.host_path(rel)
                out[path or "."] = self._cached_digest(host)
        return out

    def _cached_digest(self, host: str) -> str:
        """``_digest``, skipped for a regular file whose size, times, inode, mode and
        owner are what they were when it was last hashed. A file changed within the last
        two seconds is always re-read: its time may not have ticked yet (as git does)."""
        st = os.lstat(host)
        if not stat.S_ISREG(st.st_mode):
            return _digest(host, st)
        key = [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_mode, st.st_uid]
        key.append(st.st_gid)
        known = self.stat_cache.get(host)
        if known is not None and known[0] == key:
            return known[1]
        digest = _digest(host, st)
        if time.time_ns() - max(st.st_mtime_ns, st.st_ctime_ns) > 2_000_000_000:
            self.stat_cache[host] = (key, digest)
        return digest

    def load_stat_cache(self, path: str) -> None:
        from ..fastjson import loads

        try:
            with open(path) as f:
                data = loads(f.read())
        except (FileNotFoundError, ValueError):
            return
        if isinstance(data, dict):
            self.stat_cache = {k: (v[0], v[1]) for k, v in data.items()}

    def save_stat_cache(self, path: str) -> None:
        """Written beside its final name and renamed: a crash leaves the old one whole."""
        from ..fastjson import dumps
        from ..store.tempnames import replace_file

        replace_file(path, dumps(self.stat_cache))


def _digest(path: str, st: os.stat_result | None = None) -> str:
    st = st or os.lstat(path)
    h = Sha256(f"{stat.S_IMODE(st.st_mode):o} {st.st_uid} {st.st_gid} ".encode())
    if stat.S_ISLNK(st.st_mode):
        h.update(b"link " + os.readlink(path).encode())
    elif stat.S_ISREG(st.st_mode):
        h.update(b"file ")
        with open(path, "rb") as f:
            while chunk := f.read(1 << 20):
                h.update(chunk)
    elif stat.S_ISDIR(st.st_mode):
        h.update(b"dir")
    else:
        h.update(f"other {st.st_mode:o}".encode())
    return h.hexdigest()[:32]


def unpack(stream: BinaryIO, folder: Path) -> bytes | None:
    """A context sent as a tar (plain or compressed, as ``build -`` and the Engine API
    take it), extracted into ``folder`` as it streams in, so a context of any size fits
    in the same memory. When the stream is no tar, nothing is written and its bytes
    come back (then it is a Dockerfile alone)."""
    from ..image.compression import decompressed, prefixed
    from ..image.layer import apply_tar, is_tar_header

    plain, _ = decompressed(stream)
    head = plain.read(512)
    if not is_tar_header(head):
        return head + plain.read()
    apply_tar(prefixed(head, plain), folder, whiteouts=False)
    return None
