"""RUN --mount=type=ssh: the ssh agent ``build --ssh`` names, forwarded into one step,
as BuildKit forwards it.

``--ssh ID=KEY[,KEY]`` names key files instead, as buildx allows: the build then
starts an ``ssh-agent`` of its own holding them (its socket in a folder under the run
root), stopped when the build ends and killed with the builder if it dies.

The step never sees the agent's own socket: a socket of its own is made in a folder
under the run root (never the store), owned by the mount's ``uid``/``gid`` with its
``mode`` (BuildKit's defaults: 0:0, 0600), and each connection to it is relayed to the
agent by a thread of the builder. The agent's keys never leave it; what the step can
do is ask it to sign, while the step runs. The socket and its threads go when the
step ends.
"""

from __future__ import annotations

import os
import select
import socket
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import InvalidArgument

TYPE_CHECKING = False
if TYPE_CHECKING:
    import subprocess

_CHUNK = 64 * 1024


class Forward:
    """A listening socket at ``path`` whose connections are relayed to ``agent``."""

    def __init__(self, agent: str, path: Path, uid: int, gid: int, mode: int) -> None:
        self.agent = agent
        self.path = path
        self.stopped = threading.Event()
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self.server.bind(str(path))
            os.chown(path, uid, gid)
            os.chmod(path, mode)
            self.server.listen(16)
        except OSError:
            self.server.close()
            raise
        self.server.settimeout(0.2)  # to see ``stopped``
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._relay, args=(conn,), daemon=True).start()

    def _relay(self, conn: socket.socket) -> None:
        conn.settimeout(None)
        with conn, socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as upstream:
            try:
                upstream.connect(self.agent)
            except OSError:
                return  # the agent is gone: the step's client sees the connection end
            ends = {conn: upstream, upstream: conn}
            while not self.stopped.is_set():
                ready, _, _ = select.select(list(ends), [], [], 0.2)
                for side in ready:
                    try:
                        data = side.recv(_CHUNK)
                        if data:
                            ends[side].sendall(data)
                    except OSError:
                        data = b""
                    if not data:
                        return

    def close(self) -> None:
        self.stopped.set()
        try:
            self.server.shutdown(socket.SHUT_RDWR)  # wakes accept() at once on Linux
        except OSError:
            pass
        self.server.close()
        self.thread.join()
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass


def key_files(path: str) -> list[str]:
    """``--ssh ID=KEY[,KEY]``: the key files named (none: PATH is a socket, or $SSH_AUTH_SOCK)."""
    paths = [p for p in path.split(",") if p]
    return paths if any(os.path.isfile(p) for p in paths) or len(paths) > 1 else []


@contextmanager
def key_agents(ssh: dict[str, str], scratch: str) -> Iterator[dict[str, str]]:
    """``ssh`` with each ID that names key files given an ``ssh-agent`` of the build's
    own holding them (its socket instead); the agents stop when the context ends."""
    import shutil
    import subprocess

    started: list[subprocess.Popen[bytes]] = []
    folder = Path(scratch, f"ssh-{os.getpid()}-{os.urandom(4).hex()}")
    out = dict(ssh)
    try:
        for ssh_id, path in ssh.items():
            keys = key_files(path)
            if not keys:
                continue
            if shutil.which("ssh-agent") is None or shutil.which("ssh-add") is None:
                raise InvalidArgument(
                    f"--ssh {ssh_id}={path}: key files need ssh-agent and ssh-add"
                )
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            sock = folder / f"{len(started)}.sock"
            started.append(_start_agent(sock))
            env = {**os.environ, "SSH_AUTH_SOCK": str(sock), "SSH_ASKPASS_REQUIRE": "never"}
            added = subprocess.run(
                ["ssh-add", "-q", *keys], env=env, stdin=subprocess.DEVNULL, capture_output=True
            )
            if added.returncode != 0:
                raise InvalidArgument(f"--ssh {ssh_id}={path}: ssh-add: {_reason(added.stderr)}")
            out[ssh_id] = str(sock)
        yield out
    finally:
        for agent in started:
            agent.terminate()
            agent.wait()
        shutil.rmtree(folder, ignore_errors=True)


def _reason(stderr: bytes) -> str:
    """ssh-add's one line about a key it refused: the one naming the key (its
    warning banner and closing words say less)."""
    lines = [ln.strip() for ln in stderr.decode(errors="replace").splitlines() if ln.strip()]
    naming = [ln for ln in lines if "'" in ln or '"' in ln]
    return (naming or lines or ["failed"])[0]


def _start_agent(sock: Path) -> subprocess.Popen[bytes]:
    """``ssh-agent -D`` listening at ``sock`` (waited for), killed with its parent."""
    import subprocess
    import time

    agent = subprocess.Popen(
        ["ssh-agent", "-D", "-a", str(sock)],
        preexec_fn=_die_with_parent,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while not sock.exists():
        if agent.poll() is not None or time.monotonic() > deadline:
            agent.kill()
            agent.wait()
            raise InvalidArgument("ssh-agent did not start")
        time.sleep(0.01)
    return agent


def _die_with_parent() -> None:
    import ctypes
    import signal

    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG


def agent_socket(ssh_id: str, path: str) -> str:
    """``build --ssh ID[=PATH]``'s agent socket: PATH, else ``$SSH_AUTH_SOCK``."""
    where = path or os.environ.get("SSH_AUTH_SOCK", "")
    if not where:
        raise InvalidArgument(f"--ssh {ssh_id}: no agent socket given and SSH_AUTH_SOCK is not set")
    try:
        st = os.stat(where)
    except OSError as e:
        raise InvalidArgument(f"--ssh {ssh_id}: {where}: {e.strerror}") from None
    if not stat.S_ISSOCK(st.st_mode):
        raise InvalidArgument(f"--ssh {ssh_id}={where}: neither an agent's socket nor a key file")
    return os.path.abspath(where)


def names_keys(ssh: dict[str, str]) -> bool:
    """Whether ``--ssh`` names key files (an agent of the build's own then holds them)."""
    return any(key_files(path) for path in ssh.values())


def agents(ssh: dict[str, str]) -> dict[str, str]:
    """``--ssh``: each ID's agent socket, checked."""
    return {ssh_id: agent_socket(ssh_id, path) for ssh_id, path in ssh.items()}
