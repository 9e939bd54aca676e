"""Throwaway users for rootless runs (tests/integration/test_rootless.py and bench/).

A user is made with ``useradd -m`` (with the subordinate ID range useradd gives, or
none), runs commands through ``runuser``, and is removed with its home, its processes
(found by their owner, ended by PID) and its run folder.

These machines' /dev/net/tun is root's alone (no udev; ../shared/PLATFORM.md §9), so a
command that needs a user-mode network runs in a private mount namespace with a 0666 tun
node of its own: the host's node is never changed.
"""

from __future__ import annotations

import atexit
import functools
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from tests.conftest import OFFLINE

REPO = Path(__file__).resolve().parents[1]
# Debian's python3 with portside's dependencies, readable by all (scripts/setup); the
# code is a copy of src/ (user_portside): a clone may sit where users cannot read
USER_PYTHON = Path("/var/cache/portside/venv-user/bin/python")
USER_PATH = "/usr/local/bin:/usr/bin:/bin"
TUN_WRAPPER = (
    "mount -t tmpfs tun /dev/net && mknod -m 0666 /dev/net/tun c 10 200 && "
    'exec runuser -u "$0" -- "$@"'
)


@functools.cache
def user_portside() -> list[str]:
    """The command that runs this checkout's portside as any user: src/portside copied
    (and compiled, as an installed package is) into a folder all can read, removed when
    the process ends."""
    folder = Path(tempfile.mkdtemp(prefix="portside-user-src-"))
    atexit.register(shutil.rmtree, folder, True)
    shutil.copytree(REPO / "src/portside", folder / "portside",
                    ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    subprocess.run([str(USER_PYTHON), "-m", "compileall", "-q", str(folder)], check=True)
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    # /usr/bin/env by its path: a test may give the user a PATH without it
    return ["/usr/bin/env", f"PYTHONPATH={folder}", str(USER_PYTHON), "-m", "portside"]


class User:
    def __init__(self, name: str) -> None:
        self.name = name
        out = subprocess.run(["id", "-u", name], capture_output=True, text=True, check=True)
        self.uid = int(out.stdout)
        self.home = Path(pwd.getpwnam(name).pw_dir)
        self.store = self.home / ".local/share/portside"  # portside's default, rootless
        self.runroot = Path(f"/tmp/portside-{self.uid}")  # no XDG_RUNTIME_DIR here

    def argv(
        self,
        command: list[str],
        tun: bool = True,
        path: str = USER_PATH,
        env: dict[str, str] | None = None,
    ) -> list[str]:
        """``command`` as this user, with a login's environment and no other."""
        values = {
            "HOME": str(self.home),
            "USER": self.name,
            "LOGNAME": self.name,
            "PATH": path,
            "PORTSIDE_CONFIG": "",
            "PORTSIDE_DAEMON_JSON": "",
            **OFFLINE,
            **(env or {}),
        }
        full = ["env", "-i", *(f"{k}={v}" for k, v in values.items()), *command]
        if not tun:
            return ["runuser", "-u", self.name, "--", *full]
        return ["unshare", "-m", "--propagation", "private", "sh", "-c", TUN_WRAPPER,
                self.name, *full]  # fmt: skip

    def processes(self) -> list[int]:
        """PIDs whose real user is this one (what its commands left running)."""
        found = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/status") as f:
                    uid_line = next(line for line in f if line.startswith("Uid:"))
            except (OSError, StopIteration):
                continue
            if int(uid_line.split()[1]) == self.uid:
                found.append(int(entry))
        return found

    def end_processes(self) -> None:
        for _ in range(50):
            pids = self.processes()
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.name}'s processes did not end: {self.processes()}")


def add_user(subids: bool = True) -> User:
    if shutil.which("newuidmap") is None or shutil.which("slirp4netns") is None:
        raise RuntimeError("uidmap and slirp4netns are not installed (bash scripts/setup)")
    if not os.access(USER_PYTHON, os.X_OK):
        raise RuntimeError(f"{USER_PYTHON} is missing (bash scripts/setup makes it)")
    name = f"pst{secrets.token_hex(3)}"
    extra = [] if subids else ["-K", "SUB_UID_COUNT=0", "-K", "SUB_GID_COUNT=0"]
    subprocess.run(["useradd", "-m", *extra, name], check=True)
    return User(name)


def remove_user(user: User) -> None:
    """The user, its processes, home and run folder gone (-f: userdel also refuses while
    a process runs in the user's subordinate range, which may be another user's)."""
    user.end_processes()
    subprocess.run(["userdel", "-f", "-r", user.name], capture_output=True)
    # portside's run folder, and rootless Podman's two (bench/rootless.py) without XDG_RUNTIME_DIR
    for folder in (user.runroot, f"/tmp/podman-run-{user.uid}", f"/tmp/containers-user-{user.uid}"):
        shutil.rmtree(folder, ignore_errors=True)
    Path(f"/dev/shm/libpod_rootless_lock_{user.uid}").unlink(missing_ok=True)  # Podman's
    if user.home.exists():
        raise RuntimeError(f"{user.home} is left after userdel")
