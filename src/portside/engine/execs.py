"""``exec``: a new process in a running container.

The process starts from the container's own process spec (its capabilities, seccomp,
no_new_privileges, environment, user and working directory, read back from the bundle's
config.json), with what the exec's options change on top, as Docker does.
"""

from __future__ import annotations

from ..errors import Conflict, ContainerStartError, InvalidArgument
from ..ids import new_id
from ..records import dataclass
from ..runtime.bundle import read_process
from ..runtime.exec_process import ExecProcess, spawn
from ..runtime.users import resolve_user
from ..store.containers import ContainerRow
from .capabilities import effective_capabilities
from .container_options import merge_env
from .container_state import Status
from .containers import ContainerService
from .lifecycle import Lifecycle, start_exit_code

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import IO


@dataclass(frozen=True)
class ExecOptions:
    command: list[str]
    env: tuple[str, ...] = ()
    user: str | None = None
    workdir: str | None = None
    tty: bool = False
    detach: bool = False
    privileged: bool = False


class ExecService:
    def __init__(self, containers: ContainerService, lifecycle: Lifecycle) -> None:
        self.c = containers
        self.runtime = lifecycle.runtime
        # the processes this service started, with their container and exec ID: for
        # the exec_die event that ``finish`` records
        self._started: dict[int, tuple[ContainerRow, str]] = {}

    def start(
        self,
        ref: str,
        opts: ExecOptions,
        stdin: IO[bytes] | int | None = None,
        stdout: IO[bytes] | int | None = None,
        stderr: IO[bytes] | int | None = None,
    ) -> ExecProcess:
        if not opts.command:
            raise InvalidArgument("exec: no command specified")
        if opts.tty and opts.detach:
            # Docker's daemon keeps a detached exec's terminal open; here nothing would
            # outlive the CLI to hold the master (conmon --exec could: not built yet).
            raise InvalidArgument("exec: --detach with --tty is not supported yet")
        row = self.c.get(ref)
        if row.status == Status.PAUSED:
            raise Conflict(f"Container {row.id} is paused, unpause the container before exec")
        if row.status != Status.RUNNING:
            raise Conflict(f"Container {row.id} is not running")
        paths = self.c.paths(row.id)
        base = read_process(paths.bundle)
        process = dict(base)
        process["args"] = list(opts.command)
        process["terminal"] = opts.tty
        env = merge_env(base.get("env") or [], opts.env)
        if opts.tty and not any(e.startswith("TERM=") for e in env):
            env.append("TERM=xterm")
        process["env"] = env
        if opts.workdir:
            process["cwd"] = opts.workdir
        if opts.user:
            user = resolve_user(paths.rootfs, opts.user)
            process["user"] = {"uid": user.uid, "gid": user.gid}
            if user.additional_gids:
                process["user"]["additionalGids"] = list(user.additional_gids)
        if opts.privileged:
            caps = list(effective_capabilities([], [], privileged=True))
            process["capabilities"] = {k: caps for k in ("bounding", "effective", "permitted")}
        process.pop("consoleSize", None)
        from .events import record_container

        exec_id = new_id()
        action = " ".join(opts.command)
        record_container(self.c.store, row, f"exec_create: {action}", execID=exec_id)
        started = spawn(
            self.runtime,
            row.id,
            process,
            paths.bundle,
            opts.detach,
            stdin,
            stdout,
            stderr,
        )
        record_container(self.c.store, row, f"exec_start: {action}", execID=exec_id)
        self._started[id(started)] = (row, exec_id)
        return started

    def finish(self, process: ExecProcess) -> int:
        """The exec's exit code; runc's own failure raised with Docker's 126/127."""
        code, error = process.wait()
        started = self._started.pop(id(process), None)
        if started is not None:
            from .events import record_container

            row, exec_id = started
            exit_code = str(code if error is None else start_exit_code(error))
            record_container(self.c.store, row, "exec_die", execID=exec_id, exitCode=exit_code)
        if error is not None:
            raise ContainerStartError(f"OCI runtime exec failed: {error}", start_exit_code(error))
        return code
