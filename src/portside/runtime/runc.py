"""A thin wrapper over the OCI runtime binary (runc), with portside's private state root."""

from __future__ import annotations

import os

from ..errors import StoreError

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from collections.abc import Callable

    from _typeshed import StrPath

    from ..spawn import Finished


class Runtime:
    def __init__(self, binary: str, state_root: str) -> None:
        self.binary = binary
        self.state_root = state_root

    def argv(self, *args: str) -> list[str]:
        return [self.binary, "--root", self.state_root, *args]

    def _run(self, *args: str, check: bool = True) -> Finished:
        from .. import spawn  # not subprocess: see spawn.py

        try:
            proc = spawn.run(self.argv(*args), timeout=60)
        except FileNotFoundError:
            raise StoreError(f"OCI runtime {self.binary!r} not found: install runc") from None
        if check and proc.returncode != 0:
            raise StoreError(
                f"{self.binary} {args[0]}: {proc.stderr.strip() or proc.stdout.strip()}"
            )
        return proc

    def start(self, container_id: str) -> None:
        self._run("start", container_id)

    def kill(self, container_id: str, signal: int, all_processes: bool = False) -> bool:
        """Send ``signal``; False when the container is not running any more."""
        args = ["kill", *(["--all"] if all_processes else []), container_id, str(signal)]
        return self._run(*args, check=False).returncode == 0

    def delete(self, container_id: str) -> None:
        """Forget the container (killing what is left of it); nothing to do, and no runc
        to start, when runc holds no state for it."""
        if os.path.exists(f"{self.state_root}/{container_id}"):
            self._run("delete", "--force", container_id, check=False)

    def update(self, container_id: str, flags: list[str]) -> None:
        """New cgroup limits for a running container (``runc update --memory …``)."""
        self._run("update", *flags, container_id)

    def pause(self, container_id: str) -> None:
        from ..userns import refuse_without_cgroups

        refuse_without_cgroups("pause needs the freezer cgroup")
        self._run("pause", container_id)

    def resume(self, container_id: str) -> None:
        self._run("resume", container_id)

    def state(self, container_id: str) -> dict[str, object] | None:
        proc = self._run("state", container_id, check=False)
        if proc.returncode != 0:
            return None
        from ..fastjson import loads

        value = loads(proc.stdout)
        return value if isinstance(value, dict) else None

    def ps(self, container_id: str, ps_args: list[str], init_pid: int) -> str:
        """``ps`` with ``ps_args`` (default ``-ef``), only the container's processes:
        runc finds them by cgroup; rootless, where there is none, by PID namespace."""
        from ..userns import rootless

        if rootless():
            from .pid_namespace import ps

            return ps(init_pid, ps_args)
        return self._run("ps", container_id, *(ps_args or ["-ef"])).stdout

    def run_attached(
        self, bundle: StrPath, container_id: str, output: Callable[[str], None]
    ) -> int:
        """``runc run`` in the foreground (a build step): each output line to ``output``,
        stdout and stderr together; the process's exit code. Nothing is left behind."""
        import subprocess

        proc = subprocess.Popen(
            self.argv("run", "--bundle", os.fspath(bundle), container_id),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        try:
            assert proc.stdout is not None
            for raw in proc.stdout:
                output(raw.decode(errors="replace").rstrip("\n"))
            return proc.wait()
        finally:
            if proc.poll() is None:
                self.kill(container_id, 9)
                proc.wait()
            self.delete(container_id)
