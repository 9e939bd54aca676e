"""RUN's ``--mount``s made for one step, and what they add to its cache key.

- **bind**: a path of the context (default), of an earlier stage or of an image
  (``from``), read-only unless ``rw``; with ``rw`` the RUN writes into a throwaway
  overlay (a file: a throwaway copy), so its changes are discarded. A context folder
  with paths .dockerignore leaves out is shown through such an overlay too, with
  those paths whited out. Its content is in
  the step's key (the context's files by digest, as COPY's; a stage by its key).
- **cache**: a folder of the store kept between builds (store/cache_mounts.py), held
  for the step per ``sharing``; made empty (``uid``, ``gid``, ``mode``: 0:0 0755) or
  from ``from``/``source``. What it holds is never in the key, as BuildKit's.
- **tmpfs**: a fresh tmpfs (``size``).
- **secret**: ``--secret``'s bytes as a read-only file (default
  ``/run/secrets/ID``, mode 0400) written under the run root (never the store), and/or
  the variable ``env``. Its value is never in the key, a layer, the config or history;
  a ``required`` one that was not given fails the step.
- **ssh**: the agent ``build --ssh ID`` names (``id``, default "default"), forwarded
  through a socket of the step's own (ssh_forward.py) at ``target`` (default
  ``/run/buildkit/ssh_agent.N``, N its place among the RUN's ssh mounts), owned by
  ``uid``:``gid`` with ``mode`` (0:0 0600); ``SSH_AUTH_SOCK`` names the first. One not
  given is left out, unless ``required``.

runc makes a missing mount point in the step's root; ``Stubs`` records the ones made
here and removes them after the step when they are still empty, and drops a parent
the overlay copied up only for them (as BuildKit's stub cleaner), so a mount point
never becomes part of the layer.
"""

from __future__ import annotations

import os
import posixpath
import stat
from collections.abc import Callable, Mapping
from contextlib import ExitStack

from ..errors import DockerfileError, InvalidArgument
from ..records import dataclass, field
from ..store.tempnames import remove_tree, sweep_stale, temp_name
from .mounts import Mount, parse_mount
from .shell import process_word

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from pathlib import Path
    from typing import TypeVar

    from _typeshed import StrPath

    from ..runtime.spec import Bind, Tmpfs
    from ..store.cache_mounts import CacheMounts
    from .context import BuildContext
    from .parser import Node

    T = TypeVar("T")


@dataclass(frozen=True)
class MountSources:
    """What a step's mounts draw on, from the runner."""

    context: BuildContext
    key_of: Callable[[str], str]  # from=NAME -> its key: an earlier stage, or an image
    root_of: Callable[[str], StrPath]  # from=NAME -> its files, mounted for the build
    cache_mounts: Callable[[], CacheMounts]  # made when a step mounts a cache
    secrets: Mapping[str, bytes]
    scratch: str  # a host folder outside the store, for secrets' files
    work: str  # the store's work area, for rw binds' throwaway copies
    ssh: Mapping[str, str] = field(default_factory=dict)  # --ssh ID -> agent's socket


def parse(node: Node, env: Mapping[str, str], name: str) -> list[Mount]:
    """The step's mounts, their variables expanded with ``env``."""
    try:
        return [parse_mount(v, lambda w: process_word(w, env)) for v in node.flag_values("mount")]
    except InvalidArgument as e:
        raise DockerfileError(name, node.line, str(e)) from None


def key_inputs(
    mounts: list[Mount], sources: MountSources, node: Node, name: str
) -> tuple[dict[str, str], list[list[str]]]:
    """What the mounts add to the step's key: the digests of the context files bind
    mounts show (keyed by their paths), and ``[type, from's key, source, from]`` of
    the mounts made from a stage or an image. Cache contents and secret values never
    count."""
    files: dict[str, str] = {}
    refs: list[list[str]] = []
    for m in mounts:
        if m.type not in ("bind", "cache"):
            continue
        if m.from_:
            refs.append([m.type, _from(sources.key_of, m, node, name), m.source, m.from_])
        elif m.type == "bind":
            rel = _context_source(sources.context, m, node, name)
            files.update(sources.context.digests([rel]))
    return files, refs


def _from(get: Callable[[str], T], m: Mount, node: Node, name: str) -> T:
    try:
        return get(m.from_)
    except InvalidArgument as e:
        raise DockerfileError(name, node.line, str(e)) from None


def _context_source(context: BuildContext, m: Mount, node: Node, name: str) -> str:
    rel = posixpath.normpath("/" + m.source).lstrip("/")
    try:
        host = context.host_path(rel)
    except InvalidArgument as e:
        raise DockerfileError(name, node.line, str(e)) from None
    if not os.path.lexists(host) or (rel and context.ignored(rel)):
        raise DockerfileError(
            name, node.line, f'RUN --mount: "{m.source}" not found in the build context'
        )
    return rel


@dataclass
class Stubs:
    """Mount points made in a step's root for its mounts (container paths, in order)."""

    made: list[str] = field(default_factory=list)
    # parents of those that the overlay copied up for them: (path, mode, uid, gid)
    parents: list[tuple[str, int, int, int]] = field(default_factory=list)

    def make(self, root: Path, upper: Path, dest: str, is_file: bool) -> None:
        parts = [p for p in dest.split("/") if p]
        current = ""
        for i, part in enumerate(parts):
            parent, current = current, f"{current}/{part}"
            host = root / current.lstrip("/")
            if os.path.lexists(host):
                continue
            self._note_parents(root, upper, parent)
            if i == len(parts) - 1 and is_file:
                host.touch(0o644)
            else:
                host.mkdir(0o755)
            self.made.append(current)

    def _note_parents(self, root: Path, upper: Path, parent: str) -> None:
        """``parent`` and its own parents that only the lower layers have: making a
        mount point in it copies them up."""
        known = {p[0] for p in self.parents}
        while parent not in ("", "/") and parent not in known:
            if os.path.lexists(upper / parent.lstrip("/")):
                return
            st = os.stat(root / parent.lstrip("/"))
            self.parents.append((parent, st.st_mode, st.st_uid, st.st_gid))
            parent = posixpath.dirname(parent)

    def remove(self, root: Path) -> None:
        """After the step, still mounted: the mount points it left empty."""
        for path in reversed(self.made):
            host = root / path.lstrip("/")
            try:
                st = os.lstat(host)
                if stat.S_ISDIR(st.st_mode):
                    host.rmdir()
                elif stat.S_ISREG(st.st_mode) and st.st_size == 0:
                    host.unlink()
            except OSError:
                pass  # the step put something there: it stays

    def tidy(self, upper: Path) -> None:
        """After the unmount: a parent copied up only to hold a mount point, now empty
        and as it was, leaves the layer."""
        for path, mode, uid, gid in sorted(self.parents, key=lambda p: -len(p[0])):
            host = upper / path.lstrip("/")
            try:
                st = os.lstat(host)
                if (st.st_mode, st.st_uid, st.st_gid) != (mode, uid, gid) or os.listdir(host):
                    continue
                if any(a.endswith("overlay.opaque") for a in os.listxattr(host)):
                    continue  # it hides what the layers below have there
                host.rmdir()
            except OSError:
                continue


@dataclass
class Prepared:
    mounts: list[Bind | Tmpfs]
    env: list[str]  # secrets given to variables
    stubs: Stubs


def prepare(
    mounts: list[Mount],
    root: Path,
    upper: Path,
    workdir: str,
    sources: MountSources,
    stack: ExitStack,
    node: Node,
    name: str,
) -> Prepared:
    """The step's mounts, made; what holds them is released when ``stack`` closes."""
    from ..runtime.scope import resolve_in_root
    from ..runtime.spec import Bind, Tmpfs

    out = Prepared([], [], Stubs())
    ssh_index = -1
    for m in mounts:
        hidden: list[str] = []
        wanted: str | None = m.target
        if m.type == "ssh":
            ssh_index += 1
            if m.ssh_id not in sources.ssh:
                if m.required:
                    raise DockerfileError(
                        name, node.line, f"ssh agent {m.ssh_id}: not given (build --ssh {m.ssh_id})"
                    )
                continue
            wanted = m.target or f"/run/buildkit/ssh_agent.{ssh_index}"
        elif m.type == "secret":
            value = sources.secrets.get(m.secret_id)
            if value is None:
                if m.required:
                    raise DockerfileError(name, node.line, f"secret {m.secret_id}: not found")
                continue
            if m.env is not None:
                out.env.append(f"{m.env}={value.decode(errors='replace')}")
            wanted = m.secret_target
            if wanted is None:
                continue
        target = posixpath.normpath(posixpath.join("/", workdir or "/", wanted or ""))
        real = resolve_in_root(root, target)
        dest = "/" + os.path.relpath(real, os.path.realpath(root))
        if m.type == "tmpfs":
            options = ["exec", "mode=1777"] + ([f"size={m.size}"] if m.size else [])
            out.stubs.make(root, upper, dest, False)
            out.mounts.append(Tmpfs(dest, tuple(options)))
            continue
        if m.type == "ssh":
            source = _ssh_socket(m, sources, stack)
            if not any(e.startswith("SSH_AUTH_SOCK=") for e in out.env):
                out.env.append(f"SSH_AUTH_SOCK={dest}")
        elif m.type == "secret":
            source = _secret_file(m, sources, stack)
        elif m.type == "cache":
            source = stack.enter_context(
                sources.cache_mounts().use(
                    m.cache_id,
                    _cache_base(m, sources, node, name),
                    m.sharing,
                    _filler(m, sources, node, name),
                )
            )
        elif m.from_:
            source = _inside(_from(sources.root_of, m, node, name), m.source, node, name)
        else:
            rel = _context_source(sources.context, m, node, name)
            from pathlib import Path  # only a step that misses the cache prepares mounts

            source = Path(sources.context.host_path(rel))
            hidden = _ignored_under(sources.context, rel) if source.is_dir() else []
        if m.type == "bind" and (not m.readonly or hidden):
            source = _throwaway(source, sources.work, stack, hidden)
        out.stubs.make(root, upper, dest, not source.is_dir())
        out.mounts.append(Bind(str(source), dest, readonly=m.readonly))
    # a mount inside another's target goes on after it, whatever the order written
    out.mounts.sort(key=lambda mount: mount.destination.rstrip("/").count("/"))
    return out


def _inside(root: StrPath, source: str, node: Node, name: str) -> Path:
    from ..runtime.scope import resolve_in_root

    path = resolve_in_root(root, source or "/")
    if not os.path.lexists(path):
        raise DockerfileError(name, node.line, f'RUN --mount: "{source}" not found')
    return path


def cache_ids(
    mounts: list[Mount], sources: MountSources, node: Node, name: str
) -> list[tuple[str, str]]:
    """The (id, base) of each cache mount: which cache of the store it is."""
    return [(m.cache_id, _cache_base(m, sources, node, name)) for m in mounts if m.type == "cache"]


def _cache_base(m: Mount, sources: MountSources, node: Node, name: str) -> str:
    """What a cache starts from, part of which cache it is."""
    if m.from_:
        return f"{_from(sources.key_of, m, node, name)}:{m.source}"
    mode = 0o755 if m.mode is None else m.mode
    return f"{m.uid or 0}:{m.gid or 0}:{mode:o}"


def _filler(m: Mount, sources: MountSources, node: Node, name: str) -> Callable[[Path], None]:
    def fill(data: Path) -> None:
        import shutil  # with bz2 and lzma: only for a step that runs

        if m.from_:
            src = _inside(_from(sources.root_of, m, node, name), m.source, node, name)
            if src.is_dir():
                import shutil  # with bz2 and lzma: only for a step that runs

                shutil.copytree(src, data, symlinks=True, dirs_exist_ok=True)
        os.chown(data, m.uid or 0, m.gid or 0)
        os.chmod(data, 0o755 if m.mode is None else m.mode)

    return fill


def _secret_file(m: Mount, sources: MountSources, stack: ExitStack) -> Path:
    """The secret's bytes in a file of its own, in a folder only root reads, under
    the run root; removed when the step ends (and what a killed build left there, by
    the next one that writes a secret)."""
    from pathlib import Path

    sweep_stale(sources.scratch)
    folder = Path(sources.scratch, temp_name())
    folder.mkdir(mode=0o700, parents=True)
    stack.callback(remove_tree, folder)
    path = folder / "secret"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, sources.secrets[m.secret_id])
        os.fchown(fd, m.uid or 0, m.gid or 0)
        os.fchmod(fd, 0o400 if m.mode is None else m.mode)
    finally:
        os.close(fd)
    return path


def _ssh_socket(m: Mount, sources: MountSources, stack: ExitStack) -> Path:
    """A socket relaying to the agent, in a folder only root reads, under the run
    root; gone when the step ends."""
    from pathlib import Path

    from .ssh_forward import Forward

    sweep_stale(sources.scratch)
    folder = Path(sources.scratch, temp_name())
    folder.mkdir(mode=0o700, parents=True)
    stack.callback(remove_tree, folder)
    mode = 0o600 if m.mode is None else m.mode
    forward = Forward(sources.ssh[m.ssh_id], folder / "agent.sock", m.uid or 0, m.gid or 0, mode)
    stack.callback(forward.close)
    return forward.path


def _ignored_under(context: BuildContext, rel: str) -> list[str]:
    """The paths under context folder ``rel`` that .dockerignore leaves out (the
    topmost of each), relative to it: a bind mount of the context hides them."""
    if not context.patterns:
        return []
    top = context.host_path(rel)
    out = []
    for dirpath, dirnames, filenames in os.walk(top):
        base = os.path.relpath(dirpath, context.root)
        base = "" if base == "." else base
        for entry in [*dirnames, *filenames]:
            child = f"{base}/{entry}" if base else entry
            if context.ignored(child):
                out.append(os.path.relpath(os.path.join(dirpath, entry), top))
        dirnames[:] = [d for d in dirnames if not context.ignored(f"{base}/{d}".lstrip("/"))]
    return out


def _throwaway(source: Path, work: str, stack: ExitStack, hidden: list[str]) -> Path:
    """A writable view of ``source`` whose changes go nowhere: an overlay over a
    folder (``hidden`` paths whited out in it), a copy of a file."""
    from pathlib import Path

    from ..store.snapshots import mount_overlay, unmount

    folder = Path(work, temp_name())
    folder.mkdir(parents=True)
    stack.callback(remove_tree, folder)
    if not source.is_dir():
        import shutil

        copy = folder / source.name
        shutil.copy2(source, copy)
        return copy
    for sub in ("upper", "work", "view"):
        (folder / sub).mkdir()
    for path in hidden:
        _white_out(source, folder / "upper", path)
    mount_overlay([source], folder / "upper", folder / "work", folder / "view", volatile=True)
    stack.callback(unmount, folder / "view")
    return folder / "view"


def _white_out(lower: Path, upper: Path, path: str) -> None:
    """An overlay whiteout for ``path`` in ``upper``, its parent folders made as the
    lower ones are (so the view shows them unchanged)."""
    parts = path.split("/")
    for i in range(1, len(parts)):
        sub = "/".join(parts[:i])
        if not (upper / sub).exists():
            st = os.stat(lower / sub)
            (upper / sub).mkdir()
            os.chown(upper / sub, st.st_uid, st.st_gid)
            os.chmod(upper / sub, stat.S_IMODE(st.st_mode))
    os.mknod(upper / path, stat.S_IFCHR | 0o000, os.makedev(0, 0))
