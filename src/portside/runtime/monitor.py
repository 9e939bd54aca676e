"""The per-container monitor: Debian's conmon (Podman's), chosen by measurement.

conmon stays behind for each running container holding its stdio, writes the k8s-file
log, serves attach sessions on ``<bundle>/attach``, writes the exit code to
``<exit dir>/<id>``, and then runs our exit command (``portside container cleanup ID``),
which records the exit and applies --rm and the restart policy. It takes ≈ 2 MiB RSS;
a Python monitor would take ≈ 9 MiB (docs/containers.md has the figures).

conmon creates the container with ``runc create``, reports the PID (or runc's error) as
JSON on the pipe passed in ``_OCI_SYNCPIPE``, and double-forks, so the launching
command returns at once.

A rotated log (``Rotation``): with one file (max-file 1) conmon's own ``--log-size-max``
truncates it, by renaming a new empty file over it, at no extra cost; with more, conmon
writes into a FIFO and our log writer (``logwriter.py``, ≈ 7 MiB RSS) rotates the files.
A container without log options is launched exactly as before.
"""

from __future__ import annotations

import os
import sys

from .. import fastjson, spawn
from ..errors import StoreError
from ..processes import which
from ..records import dataclass
from .runc import Runtime

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from _typeshed import StrPath

    from .logs import Rotation


class CreateFailed(Exception):
    """runc could not create the container; ``message`` is what it said."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class MonitorPaths:
    bundle: str
    log: str
    exit_dir: str
    socket_dir: str
    pidfile: str
    monitor_pidfile: str


def conmon_binary() -> str:
    path = which("conmon") or (
        "/usr/libexec/podman/conmon" if os.path.exists("/usr/libexec/podman/conmon") else None
    )
    if path is None:
        raise StoreError("conmon not found: install it (apt-get install conmon)")
    return path


def launch(
    runtime: Runtime,
    container_id: str,
    name: str,
    paths: MonitorPaths,
    terminal: bool,
    stdin: bool,
    exit_command: list[str],
    rotation: Rotation | None = None,
) -> tuple[int, int]:
    """Create the container under a new conmon; returns (container PID, conmon PID)."""
    if rotation is None or rotation.max_file <= 1:
        return _launch(runtime, container_id, name, paths, terminal, stdin, exit_command, rotation)
    fifo, held = _start_writer(paths.log, rotation)
    try:
        return _launch(
            runtime, container_id, name, paths, terminal, stdin, exit_command, rotation, fifo
        )
    finally:
        os.close(held)  # conmon holds the FIFO now (or failed): its end is the writer's EOF


def _launch(
    runtime: Runtime,
    container_id: str,
    name: str,
    paths: MonitorPaths,
    terminal: bool,
    stdin: bool,
    exit_command: list[str],
    rotation: Rotation | None,
    fifo: str = "",
) -> tuple[int, int]:
    log_target = fifo or str(paths.log)
    read_end, write_end = os.pipe()
    argv = [
        conmon_binary(),
        "--api-version",
        "1",
        "-c",
        container_id,
        "-u",
        container_id[:12],
        "-n",
        name,
        "-r",
        which(runtime.binary) or runtime.binary,
        "--runtime-arg",
        "--root",
        "--runtime-arg",
        str(runtime.state_root),
        "-b",
        str(paths.bundle),
        "-p",
        str(paths.pidfile),
        "--conmon-pidfile",
        str(paths.monitor_pidfile),
        "--exit-dir",
        str(paths.exit_dir),
        "--socket-dir-path",
        str(paths.socket_dir),
        "-l",
        f"k8s-file:{log_target}",
        "--exit-command",
        exit_command[0],
    ]
    for arg in exit_command[1:]:
        argv += ["--exit-command-arg", arg]
    if rotation is not None and not fifo:
        argv += ["--log-size-max", str(rotation.max_size)]
    if terminal:
        argv.append("-t")
    if stdin:
        argv.append("-i")
    env = {**os.environ, "_OCI_SYNCPIPE": str(write_end)}
    try:
        proc = spawn.start(
            argv,
            cwd=paths.bundle,  # conmon writes an "oom" note in its working directory
            pass_fds=(write_end,),
            env=env,
            new_session=True,
        )
    except BaseException:
        os.close(read_end)
        raise
    finally:
        os.close(write_end)
    data = b""
    try:
        # one JSON line; conmon's long-lived child keeps the pipe open, so no EOF comes
        while not data.endswith(b"\n"):
            chunk = os.read(read_end, 4096)
            if not chunk:
                break
            data += chunk
    finally:
        os.close(read_end)
    _, err = proc.wait(timeout=60)
    message = _last_json(data)
    if message is None:
        raise StoreError(f"conmon failed: {err.decode(errors='replace').strip() or 'no report'}")
    pid = int(str(message.get("data", -1)))
    if pid <= 0:
        raise CreateFailed(
            _runtime_message(str(message.get("message", ""))) or "runc create failed"
        )
    with open(paths.monitor_pidfile) as f:
        monitor_pid = int(f.read().strip())
    return pid, monitor_pid


def _start_writer(log: str, rotation: Rotation) -> tuple[str, int]:
    """Start the log writer reading a FIFO beside the log; returns the FIFO's path and
    a write end held open until conmon has opened its own (so the writer sees no EOF
    before conmon comes)."""
    fifo = log + ".fifo"
    if not os.path.exists(fifo):
        os.mkfifo(fifo, 0o600)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        held = os.open(fifo, os.O_WRONLY | os.O_CLOEXEC)
        os.set_blocking(reader, True)
        script = os.path.join(os.path.dirname(__file__), "logwriter.py")
        spawn.start(
            [sys.executable, "-I", "-S", script, str(log), str(rotation.max_size)]
            + [str(rotation.max_file)],
            stdin=reader,
            cwd="/",
            stderr_pipe=False,
            new_session=True,
        )
    finally:
        os.close(reader)
    return str(fifo), held


def _runtime_message(text: str) -> str:
    """runc logs as logrus lines (time="…" level=error msg="…"): keep the msg."""
    import re

    found = re.findall(r'msg="((?:[^"\\]|\\.)*)"', text)
    if not found:
        return text.strip()
    return str(fastjson.loads(f'"{found[-1]}"'))


def _last_json(data: bytes) -> dict[str, object] | None:
    for line in reversed(data.decode(errors="replace").splitlines()):
        try:
            value = fastjson.loads(line)
        except ValueError:  # json.JSONDecodeError
            continue
        if isinstance(value, dict):
            return value
    return None


def read_exit_code(exit_dir: str, container_id: str) -> int | None:
    try:
        with open(f"{exit_dir}/{container_id}") as f:
            text = f.read().strip()
    except FileNotFoundError:
        return None
    return int(text) if text.lstrip("-").isdigit() else None


def resize(bundle: StrPath, rows: int, cols: int) -> None:
    """Ask conmon to resize the container's terminal (its ``ctl`` FIFO)."""
    try:
        fd = os.open(os.path.join(bundle, "ctl"), os.O_WRONLY | os.O_NONBLOCK)
    except OSError:
        return
    try:
        os.write(fd, f"1 {rows} {cols}\n".encode())
    except OSError:
        pass
    finally:
        os.close(fd)
