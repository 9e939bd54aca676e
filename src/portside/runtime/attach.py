"""Attach to a container through conmon's attach socket.

The socket (``<bundle>/attach``, SOCK_SEQPACKET) sends output packets whose first byte
names the stream (2 stdout, 3 stderr) and takes raw stdin bytes; shutting down our
write side closes the container's stdin. It is reached through /proc/self/fd so that
long store paths do not hit the 108-byte limit of socket addresses.

The socket is ``_socket``'s: the ``socket`` module wraps it in enums that cost ``run``
about 8 ms to import, and a relay needs none of what it adds.
"""

from __future__ import annotations

import _socket
import os

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import BinaryIO

    from _typeshed import StrPath

STDOUT, STDERR = 2, 3
DEFAULT_DETACH_KEYS = b"\x10\x11"  # ctrl-p ctrl-q


def connect(bundle: StrPath) -> _socket.socket:
    dir_fd = os.open(bundle, os.O_PATH | os.O_DIRECTORY)
    try:
        sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_SEQPACKET)  # close-on-exec
        try:
            sock.connect(f"/proc/self/fd/{dir_fd}/attach")
        except BaseException:
            sock.close()
            raise
        return sock
    finally:
        os.close(dir_fd)


class Session:
    """Relays one attach session; ``run`` returns "exited" or "detached"."""

    def __init__(
        self,
        sock: _socket.socket,
        stdout: BinaryIO,
        stderr: BinaryIO,
        stdin: BinaryIO | None = None,
        detach_keys: bytes = DEFAULT_DETACH_KEYS,
        on_output: Callable[[], None] | None = None,
    ) -> None:
        self.sock = sock
        self.stdout = stdout
        self.stderr = stderr
        self.stdin = stdin
        self.detach_keys = detach_keys
        self.detached = False  # set by the stdin pump, read after the output ends
        self.on_output = on_output

    def _pump_stdin(self) -> None:
        assert self.stdin is not None
        import select

        fd = self.stdin.fileno()
        matched = 0
        try:
            while not self.detached:
                ready, _, _ = select.select([fd], [], [], 0.2)
                if not ready:
                    continue
                data = os.read(fd, 4096)
                if not data:
                    break
                if self.detach_keys:
                    for byte in data:
                        matched = (
                            matched + 1
                            if byte == self.detach_keys[matched]
                            else (1 if byte == self.detach_keys[0] else 0)
                        )
                        if matched == len(self.detach_keys):
                            self.detached = True
                            self.sock.shutdown(_socket.SHUT_RDWR)
                            return
                self.sock.sendall(data)
            self.sock.shutdown(_socket.SHUT_WR)
        except OSError:
            pass

    def run(self) -> str:
        pump = None
        if self.stdin is not None:
            import threading

            pump = threading.Thread(target=self._pump_stdin, daemon=True)
            pump.start()
        try:
            while True:
                try:
                    packet = self.sock.recv(65536)
                except OSError:
                    break
                if not packet:
                    break
                stream = self.stderr if packet[0] == STDERR else self.stdout
                stream.write(packet[1:])
                stream.flush()
        finally:
            self.sock.close()
        return "detached" if self.detached else "exited"
