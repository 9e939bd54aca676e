"""Rootless portside: the one place that decides the ID mapping (docs/rootless.md).

As an ordinary user, every command that opens the store first joins one user namespace
with a mount namespace of its own, held by a pause process (``sleep infinity``, argv[0]
``portside-pause``) whose PID is kept in the run root. Inside it the user is root, so the
store's code paths are root's: mounts made by one command (a container's overlay) stay
for the next, and files the store keeps belong to the user on the host.

The mapping: the user's own ID becomes 0 inside; with a range in /etc/subuid and
/etc/subgid (written by ``newuidmap``/``newgidmap``), IDs 1… inside are that range, so
image files owned by other IDs keep their owners. Without a range the namespace has the
one ID, and files owned by others are flattened to it (a notice says so once per store).

What differs from root, asked of this module by the parts it concerns: overlay mounts
take ``userxattr`` (opaque folders carry ``user.overlay.opaque``), cgroup limits are
refused (the hierarchy is not delegated to the user), and networking goes through a
user-mode stack.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping

from .errors import InvalidArgument, StoreError
from .libc import errno, libc

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from pathlib import Path

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
PAUSE_ENV = "_PORTSIDE_USERNS"  # the run root of the namespace a process works in
OVERFLOW_ID = 65534  # what an unmapped ID reads as inside


class UserNamespaceError(StoreError):
    """The user namespace cannot be made or joined: one line with the cause and the fix."""


@functools.cache
def in_user_namespace() -> bool:
    """True inside a user namespace other than the host's (one that maps less than all
    IDs): the pause's, or any other engine's. One small read."""
    try:
        with open("/proc/self/uid_map") as f:
            lines = f.read().split()
    except OSError:
        return False
    return lines != ["0", "0", "4294967295"]


@functools.cache
def _id_map(kind: str) -> tuple[tuple[int, int, int], ...]:
    with open(f"/proc/self/{kind}_map") as f:
        return tuple((int(a), int(b), int(c)) for a, b, c in (ln.split() for ln in f))


def maps(kind: str, value: int) -> bool:
    """Whether ID ``value`` (``kind`` "uid" or "gid") exists in this process's user
    namespace: with one mapped ID only 0 does."""
    return any(inside <= value < inside + count for inside, _, count in _id_map(kind))


def id_mapping() -> str:
    """This namespace's user IDs as ``info`` shows them: ``0 -> 1000, 1-65536 ->
    100000-165535``."""

    def span(first: int, count: int) -> str:
        return str(first) if count == 1 else f"{first}-{first + count - 1}"

    return ", ".join(f"{span(a, n)} -> {span(b, n)}" for a, b, n in _id_map("uid"))


def rootless() -> bool:
    """Whether this process works as an ordinary user: before joining (not root) or
    after (root only inside a namespace)."""
    return os.geteuid() != 0 or in_user_namespace()


@functools.cache
def overlay_xattrs() -> str:
    """The prefix of the xattrs overlayfs reads and writes: ``trusted.overlay.`` as
    root, ``user.overlay.`` in a user namespace (mounted with ``userxattr``)."""
    return "user.overlay." if rootless() else "trusted.overlay."


def refuse_without_cgroups(what: str) -> None:
    """Rootless, the cgroup hierarchy is not the user's (cgroup v1 here; runc is given no
    cgroup path): what needs a cgroup of the container's own is refused, in one line."""
    if rootless():
        raise InvalidArgument(
            f"{what} here, because the cgroup hierarchy is not delegated to your user "
            "(cgroup v1); run as root, or on cgroup v2 delegate controllers to your user "
            "(systemd: Delegate=yes in user@.service); ulimits (--ulimit) work rootless"
        )


def default_root(environ: Mapping[str, str]) -> str:
    """``$XDG_DATA_HOME/portside``, else ``~/.local/share/portside``."""
    data = environ.get("XDG_DATA_HOME") or os.path.join(_home(environ), ".local/share")
    return os.path.join(data, "portside")


def default_runroot(environ: Mapping[str, str]) -> str:
    """``$XDG_RUNTIME_DIR/portside``, else a private folder of the user's under /tmp."""
    runtime = environ.get("XDG_RUNTIME_DIR")
    if runtime:
        return os.path.join(runtime, "portside")
    return f"/tmp/portside-{os.geteuid()}"


def _home(environ: Mapping[str, str]) -> str:
    return environ.get("HOME") or os.path.expanduser("~")


# --- the mapping -------------------------------------------------------------------------


def subordinate_range(path: str, name: str, uid: int) -> tuple[int, int] | None:
    """The user's first range in /etc/subuid or /etc/subgid (``NAME:START:COUNT``, or
    the numeric ID in place of the name), or None."""
    try:
        with open(path) as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        return None
    for number, line in enumerate(lines, 1):
        fields = line.strip().split(":")
        if len(fields) != 3 or fields[0] not in (name, str(uid)):
            continue
        try:
            start, count = int(fields[1]), int(fields[2])
        except ValueError:
            raise UserNamespaceError(
                f"{path}:{number}: {line.strip()!r} is not NAME:START:COUNT"
            ) from None
        if count > 0:
            return start, count
    return None


def mapping_lines(own: int, sub: tuple[int, int] | None, path: str, name: str) -> list[int]:
    """The ``newuidmap`` triples (inside, outside, count): own ID to 0, the range to 1…
    A range that holds the user's own ID would map it twice; the kernel refuses that."""
    if sub is None:
        return [0, own, 1]
    start, count = sub
    if start <= own < start + count:
        raise UserNamespaceError(
            f"{path}: the range {name}:{start}:{count} holds {name}'s own ID {own}; "
            f"give {name} a range that does not (e.g. {name}:100000:65536)"
        )
    return [0, own, 1, 1, start, count]


# --- the pause process and joining it ----------------------------------------------------


def enter(runroot: Path, store_root: Path) -> None:
    """Join the user's namespace, starting its pause process first when none runs.
    Root, and a process already inside (a container's monitor, its exit hook), pass
    straight through. Must run before the process starts a thread."""
    if os.geteuid() == 0:
        return
    import fcntl

    _admin_path()

    _private_folder(runroot)
    try:  # the user's store is the user's alone, as Docker's data-root is root's
        store_root.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as e:
        raise UserNamespaceError(f"cannot make the store {store_root}: {e.strerror}") from None
    with open(runroot / "pause.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        pid = _running_pause(runroot)
        if pid is None:
            pid = _start_pause(runroot, store_root)
    _join(pid, runroot)


def _admin_path() -> None:
    """The system tools a user's PATH usually lacks (runc, ip, nft live in /usr/sbin),
    which the user runs as root inside the namespace."""
    path = os.environ.get("PATH", "/usr/bin:/bin").split(":")
    extra = [d for d in ("/usr/local/sbin", "/usr/sbin", "/sbin") if d not in path]
    os.environ["PATH"] = ":".join(path + extra)


def _private_folder(path: Path) -> None:
    """The run root: made 0700 when missing; one of someone else's is refused."""
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = path.stat()
    except OSError as e:
        raise UserNamespaceError(f"cannot make the run root {path}: {e.strerror}") from None
    if st.st_uid != os.geteuid():
        raise UserNamespaceError(
            f"the run root {path} belongs to user ID {st.st_uid}, not to you; "
            "set XDG_RUNTIME_DIR or --runroot to a folder of your own"
        )


def _running_pause(runroot: Path) -> int | None:
    """The pause's PID when it still runs as ours, else None."""
    try:
        pid = int((runroot / "pause.pid").read_text())
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv0 = f.read().split(b"\0", 1)[0]
        owner = os.stat(f"/proc/{pid}").st_uid
    except (OSError, ValueError):
        return None
    return pid if argv0 == b"portside-pause" and owner == os.geteuid() else None


def _start_pause(runroot: Path, store_root: Path) -> int:
    """Fork the pause: it unshares a user, a mount and a network namespace, waits until
    this process has written its ID maps, then becomes ``sleep infinity`` in a session
    of its own (a terminal's ^C does not reach it). Its network namespace is where the
    user's bridges live (network/slirp.py); commands themselves stay in the host's, so
    a registry on the host's 127.0.0.1 is reached as it is by root."""
    import pwd

    uid, gid = os.geteuid(), os.getegid()
    name = pwd.getpwuid(uid).pw_name
    subuid = subordinate_range("/etc/subuid", name, uid)
    subgid = subordinate_range("/etc/subgid", name, uid)
    uid_map = mapping_lines(uid, subuid, "/etc/subuid", name)
    gid_map = mapping_lines(gid, subgid, "/etc/subgid", name)
    sleep = _which("sleep")
    ready_r, ready_w = os.pipe()
    go_r, go_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the pause
        try:
            os.close(ready_r)
            os.close(go_w)
            os.setsid()
            if libc().unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET) != 0:
                os.write(ready_w, str(errno()).encode())
                os._exit(1)
            os.write(ready_w, b"0")
            os.read(go_r, 1)
            with open("/proc/sys/net/ipv4/ip_forward", "w") as f:  # its bridges route
                f.write("1")
            null = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(null, fd)
            os.closerange(3, 1 << 16)
            os.chdir("/")
            os.execv(sleep, ["portside-pause", "infinity"])
        finally:
            os._exit(127)
    os.close(ready_w)
    os.close(go_r)
    try:
        answer = os.read(ready_r, 16)
        if answer != b"0":
            err = int(answer or b"0") or 1
            raise UserNamespaceError(
                f"cannot make a user namespace: {os.strerror(err)}; "
                "the kernel must allow unprivileged user namespaces "
                "(sysctl kernel.unprivileged_userns_clone=1, user.max_user_namespaces > 0)"
            )
        _write_map(pid, "uid", uid_map, subuid is not None)
        _write_map(pid, "gid", gid_map, subgid is not None)
        os.write(go_w, b"1")
    except BaseException:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        raise
    finally:
        os.close(ready_r)
        os.close(go_w)
    (runroot / "pause.pid").write_text(str(pid))
    if subuid is None:
        _notice_single_id(store_root, name)
    return pid


def _write_map(pid: int, kind: str, triples: list[int], ranged: bool) -> None:
    """A range needs the setuid helper (``newuidmap``); one ID the user writes itself,
    after denying setgroups for the gid map as the kernel asks."""
    if ranged:
        import subprocess

        helper = f"new{kind}map"
        try:
            proc = subprocess.run(
                [helper, str(pid), *map(str, triples)], capture_output=True, text=True
            )
        except FileNotFoundError:
            raise UserNamespaceError(
                f"/etc/sub{kind} gives you a range of IDs, but {helper} is not installed: "
                "install it (apt-get install uidmap), or remove your line from "
                f"/etc/sub{kind} to run with one ID"
            ) from None
        if proc.returncode != 0:
            raise UserNamespaceError(
                f"{helper} failed: {proc.stderr.strip() or proc.stdout.strip()}; "
                f"check your line in /etc/sub{kind} (and that {helper} is setuid root)"
            )
        return
    lines = " ".join(map(str, triples))
    if kind == "gid":
        with open(f"/proc/{pid}/setgroups", "w") as f:
            f.write("deny")
    with open(f"/proc/{pid}/{kind}_map", "w") as f:
        f.write(lines + "\n")


def _notice_single_id(store_root: Path, name: str) -> None:
    """Once per store: what one ID means for images."""
    import sys

    marker = store_root / ".single-id-notice"
    if marker.exists():
        return
    sys.stderr.write(
        f"portside: {name} has no range in /etc/subuid, so containers get one user ID: "
        "files an image gives to other IDs will belong to root inside\n"
    )
    try:
        store_root.mkdir(parents=True, exist_ok=True)
        marker.touch()
    except OSError:
        pass


def _which(program: str) -> str:
    from .processes import which

    found = which(program)
    if found is None:
        raise UserNamespaceError(f"{program} not found on PATH")
    return found


def _join(pid: int, runroot: Path) -> None:
    """setns into the pause's user namespace, then its mount namespace. The mount
    namespace's change puts the process at its root, so the working folder is set again
    (the same path: the namespace began as a copy of the host's mounts)."""
    cwd = os.getcwd()
    setns = libc().setns
    for kind, flag in (("user", CLONE_NEWUSER), ("mnt", CLONE_NEWNS)):
        fd = os.open(f"/proc/{pid}/ns/{kind}", os.O_RDONLY | os.O_CLOEXEC)
        try:
            if setns(fd, flag) != 0:
                err = errno()
                hint = " (a process with threads cannot)" if kind == "user" else ""
                raise UserNamespaceError(
                    f"cannot join the user namespace of pause process {pid}{hint}: "
                    f"{os.strerror(err)}"
                )
        finally:
            os.close(fd)
    for cached in (in_user_namespace, overlay_xattrs, _id_map):
        cached.cache_clear()
    os.chdir(cwd)
    os.environ[PAUSE_ENV] = str(runroot)


@functools.cache
def pause_pid() -> int | None:
    """In a user's namespace, the pause's PID (its network namespace holds the bridges);
    None as root. Processes started inside (a monitor's exit hook) find it too."""
    runroot = os.environ.get(PAUSE_ENV)
    if not runroot or not rootless():
        return None
    try:
        with open(os.path.join(runroot, "pause.pid")) as f:
            return int(f.read())
    except (OSError, ValueError):
        raise UserNamespaceError(f"no pause process recorded in {runroot}") from None


def namespace_runroot() -> Path:
    """The run root of the user's namespace this process works in (pause.pid, the
    slirp4netns socket)."""
    from pathlib import Path

    return Path(os.environ[PAUSE_ENV])


def bridges_argv() -> list[str]:
    """The prefix that runs a command where the bridges are: nothing as root, else
    ``nsenter`` into the pause's network namespace."""
    pid = pause_pid()
    return [] if pid is None else ["nsenter", f"--net=/proc/{pid}/ns/net"]


def bridges_proc_net() -> str:
    """/proc/net of the namespace the bridges are in."""
    pid = pause_pid()
    return "/proc/net" if pid is None else f"/proc/{pid}/net"
