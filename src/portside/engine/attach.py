"""Attaching to a running container's stdio: the monitor's attach socket and its
terminal size (``runtime.attach`` and ``runtime.monitor`` implement them)."""

from __future__ import annotations

from ..runtime import attach, monitor

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from _socket import socket
    from typing import BinaryIO

    from .containers import ContainerService


class AttachService:
    def __init__(self, containers: ContainerService) -> None:
        self.containers = containers

    def connect(self, container_id: str) -> socket:
        """A connection to the running container's attach socket."""
        return attach.connect(self.containers.paths(container_id).bundle)

    def resize(self, container_id: str, rows: int, cols: int) -> None:
        """The container's terminal to this size (a no-op once it is gone)."""
        monitor.resize(self.containers.paths(container_id).bundle, rows, cols)

    def relay(
        self,
        sock: socket,
        stdout: BinaryIO,
        stderr: BinaryIO,
        stdin: BinaryIO | None,
        detach_keys: bytes,
    ) -> str:
        """Relay ``sock`` until the container's output ends ("exited") or the user
        types ``detach_keys`` on ``stdin`` ("detached")."""
        return attach.Session(sock, stdout, stderr, stdin=stdin, detach_keys=detach_keys).run()
