"""RUN --mount=type=ssh: the ssh agent ``build --ssh`` names, forwarded into one step,
as BuildKit forwards it.

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
import threading
from pathlib import Path

from ..errors import InvalidArgument

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
        self.server.close()
        self.thread.join()
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass


def agent_socket(ssh_id: str, path: str) -> str:
    """``build --ssh ID[=PATH]``'s agent socket: PATH, else ``$SSH_AUTH_SOCK``; it
    must be a socket (a key file would need an agent of our own)."""
    import stat

    where = path or os.environ.get("SSH_AUTH_SOCK", "")
    if not where:
        raise InvalidArgument(f"--ssh {ssh_id}: no agent socket given and SSH_AUTH_SOCK is not set")
    try:
        st = os.stat(where)
    except OSError as e:
        raise InvalidArgument(f"--ssh {ssh_id}: {where}: {e.strerror}") from None
    if not stat.S_ISSOCK(st.st_mode):
        raise InvalidArgument(
            f"--ssh {ssh_id}={where}: not an agent's socket (for a key file, run "
            "ssh-agent, ssh-add the key, and give its SSH_AUTH_SOCK)"
        )
    return os.path.abspath(where)
