"""Looking at processes we did not start as children: is a PID alive, a pidfd for it."""

from __future__ import annotations

import os


def alive(pid: int) -> bool:
    """True while ``pid`` runs; a zombie (exited, not yet reaped by its parent) is dead."""
    if pid <= 0:
        return False
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return False
    except OSError:
        return True
    # the state letter follows the parenthesised command name, which may hold spaces
    state = stat[stat.rfind(b")") + 2 : stat.rfind(b")") + 3]
    return state not in (b"Z", b"X")


def pidfd(pid: int) -> int | None:
    """A pidfd that becomes readable when ``pid`` exits; None if it is already gone."""
    if pid <= 0:
        return None
    try:
        return os.pidfd_open(pid)
    except OSError:
        return None


def send_signal(pid: int, signum: int) -> bool:
    """``signum`` to ``pid`` through a pidfd; False when it is gone already."""
    fd = pidfd(pid)
    if fd is None:
        return False
    from .spawn import pidfd_send_signal  # not signal's: see spawn.py

    try:
        pidfd_send_signal(fd, signum)
    except ProcessLookupError:
        return False
    finally:
        os.close(fd)
    return True


def which(program: str) -> str | None:
    """Where ``program`` is on ``$PATH``, as ``shutil.which`` answers; importing shutil
    (with bz2 and lzma) would cost every ``run``, ``stop`` and ``rm`` about 3 ms."""
    if "/" in program:
        return program if _executable(program) else None
    for folder in os.environ.get("PATH", os.defpath).split(os.pathsep):
        path = os.path.join(folder, program)
        if _executable(path):
            return path
    return None


def _executable(path: str) -> bool:
    return os.access(path, os.X_OK) and not os.path.isdir(path)
