"""``/containers/{id}/exec``, ``/exec/{id}/start`` (hijacked unless Detach) and
``/exec/{id}/json``.

An exec instance lives in this service's memory between its create and its start, as
it does in Docker's daemon; the process itself is the engine's (``engine.execs``).
"""

from __future__ import annotations

import fcntl
import os
import struct
import subprocess
import termios
import threading
import tty
from io import BufferedIOBase

from ..engine.execs import ExecOptions
from ..errors import Conflict, NotFound
from ..ids import new_id
from ..records import dataclass, field
from .attach import terminal_size
from .containers import STDERR, STDOUT, frame
from .server import BadRequest, Request

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import IO, Any


@dataclass
class ExecInstance:
    id: str
    container_id: str
    options: ExecOptions
    attach_stdin: bool
    running: bool = False
    exit_code: int | None = None
    pid: int = 0
    terminal: int | None = None  # the pseudo-terminal's master while a TTY exec runs
    lock: threading.Lock = field(default_factory=threading.Lock)

    def json(self) -> dict[str, Any]:
        o = self.options
        return {
            "ID": self.id,
            "ContainerID": self.container_id,
            "Running": self.running,
            "ExitCode": self.exit_code,
            "Pid": self.pid,
            "OpenStdin": self.attach_stdin,
            "OpenStdout": True,
            "OpenStderr": True,
            "CanRemove": False,
            "DetachKeys": "",
            "ProcessConfig": {
                "tty": o.tty,
                "entrypoint": o.command[0] if o.command else "",
                "arguments": list(o.command[1:]),
                "privileged": o.privileged,
                "user": o.user or "",
            },
        }


def _instances(req: Request) -> dict[str, ExecInstance]:
    return req.server.execs


def _get(req: Request) -> ExecInstance:
    instance = _instances(req).get(req.params["id"])
    if instance is None:
        raise NotFound(f"No such exec instance: {req.params['id']}")
    return instance


def create(req: Request) -> None:
    body = req.json()
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object")
    cmd = body.get("Cmd") or []
    if isinstance(cmd, str):
        cmd = [cmd]
    row = req.engine.containers.get(req.params["id"])
    if row.status != "running":
        raise Conflict(f"Container {row.id} is not running")
    options = ExecOptions(
        command=[str(c) for c in cmd],
        env=tuple(body.get("Env") or ()),
        user=body.get("User") or None,
        workdir=body.get("WorkingDir") or None,
        tty=bool(body.get("Tty")),
        privileged=bool(body.get("Privileged")),
    )
    if not options.command:
        raise BadRequest("No exec command specified")
    instance = ExecInstance(new_id(), row.id, options, bool(body.get("AttachStdin")))
    _instances(req)[instance.id] = instance
    req.send_json({"Id": instance.id}, 201)


def inspect(req: Request) -> None:
    req.send_json(_get(req).json())


def start(req: Request) -> None:
    instance = _get(req)
    body = req.json()
    detach = bool(body.get("Detach")) if isinstance(body, dict) else False
    with instance.lock:
        if instance.running or instance.exit_code is not None:
            raise Conflict(f"exec {instance.id} has already been started")
        instance.running = True
    execs = req.engine.execs
    options = instance.options
    try:
        if detach:
            detached = ExecOptions(**{**options.__dict__, "detach": True})
            execs.finish(execs.start(instance.container_id, detached))
            instance.running = False
            req.send_empty(200)
            return
        if options.tty:
            _start_tty(req, instance)
            return
        pipe = subprocess.PIPE
        stdin: int = pipe if instance.attach_stdin else subprocess.DEVNULL
        process = execs.start(instance.container_id, options, stdin, pipe, pipe)
    except BaseException:
        instance.running = False
        raise
    instance.pid = process.proc.pid
    kind = "raw-stream" if options.tty else "multiplexed-stream"
    conn = req.hijack(f"application/vnd.docker.{kind}")
    proc = process.proc
    if instance.attach_stdin and proc.stdin is not None:
        threading.Thread(target=_pump, args=(req.http.rfile, proc.stdin), daemon=True).start()
    lock = threading.Lock()
    readers = [
        threading.Thread(target=_relay, args=(pipe_, stream, conn, lock, options.tty))
        for pipe_, stream in ((proc.stdout, STDOUT), (proc.stderr, STDERR))
        if pipe_ is not None
    ]
    for t in readers:
        t.start()
    for t in readers:
        t.join()
    _finish(req, instance, process)


def resize(req: Request) -> None:
    """``POST /exec/{id}/resize``: the size of a running TTY exec's terminal."""
    rows, cols = terminal_size(req)
    instance = _get(req)
    with instance.lock:
        if instance.terminal is None:
            raise Conflict(f"exec {instance.id} is not running with a terminal")
        fcntl.ioctl(instance.terminal, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    req.send_empty(200)


def _start_tty(req: Request, instance: ExecInstance) -> None:
    """With a TTY: runc relays only between terminals, so the process gets a raw
    pseudo-terminal of ours (as ``portside exec -t`` without one), relayed raw."""
    master, slave = os.openpty()
    tty.setraw(slave)
    try:
        process = req.engine.execs.start(
            instance.container_id, instance.options, slave, slave, slave
        )
    except BaseException:
        os.close(master)
        raise
    finally:
        os.close(slave)
    instance.pid = process.proc.pid
    instance.terminal = master
    conn = req.hijack("application/vnd.docker.raw-stream")
    if instance.attach_stdin:
        sink = os.fdopen(os.dup(master), "wb", buffering=0)
        threading.Thread(target=_pump, args=(req.http.rfile, sink), daemon=True).start()
    try:
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the process and runc closed the terminal
                break
            if not data:
                break
            try:
                conn.sendall(data)
            except OSError:
                break
    finally:
        with instance.lock:
            instance.terminal = None
            os.close(master)
    _finish(req, instance, process)


def _finish(req: Request, instance: ExecInstance, process: Any) -> None:
    """The exit code kept for ``/exec/{id}/json``, and only then the end of the stream
    (the client asks for the code as soon as it sees the end)."""
    try:
        instance.exit_code = req.engine.execs.finish(process)
    except Exception:  # noqa: BLE001 - runc's own failure: Docker's 126 as the code
        instance.exit_code = 126
    instance.running = False
    req.end_hijack()


def _relay(source: IO[bytes], stream: int, conn: Any, lock: threading.Lock, tty: bool) -> None:
    while data := source.read1(65536):  # type: ignore[attr-defined]
        try:
            with lock:
                conn.sendall(data if tty else frame(stream, data))
        except OSError:
            break
    source.close()


def _pump(rfile: BufferedIOBase, sink: IO[bytes]) -> None:
    try:
        while data := rfile.read1(65536):
            sink.write(data)
            sink.flush()
    except (OSError, ValueError):
        pass
    finally:
        try:
            sink.close()
        except OSError:
            pass
