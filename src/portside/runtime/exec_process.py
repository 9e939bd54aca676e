"""One ``runc exec`` into a running container: its process runs as a child of the calling
portside process (as ``docker exec`` runs under the daemon), with the caller's stdio.
With a terminal, runc itself makes the pseudo-terminal and relays it to the caller's
terminal, resizes included (runc takes a console socket only when it detaches, and a
detached terminal needs a holder: see engine/execs.py).

runc reports its own failures (no such executable, permission denied) only as text and
exit 255; with ``--log-format json`` that text is told apart from a process that itself
exits 255.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path

from ..records import dataclass
from .runc import Runtime

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import IO, Any

    from _typeshed import StrPath

RUNC_FAILED = 255


@dataclass
class ExecProcess:
    proc: subprocess.Popen[bytes]
    process_file: Path  # runc reads it after starting: removed once runc is done

    @property
    def log(self) -> Path:
        return self.process_file.with_suffix(".log")

    def runtime_error(self) -> str | None:
        """runc's own error message when it, not the process, ended the exec."""
        try:
            lines = self.log.read_text(errors="replace").splitlines()
        except FileNotFoundError:
            return None
        for line in reversed(lines):
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(entry, dict) and entry.get("level") in ("error", "fatal"):
                return str(entry.get("msg", ""))
        return None

    def wait(self) -> tuple[int, str | None]:
        """(exit code, runc's error or None); runc's files are removed."""
        code = self.proc.wait()
        error = self.runtime_error() if code == RUNC_FAILED else None
        self.log.unlink(missing_ok=True)
        self.process_file.unlink(missing_ok=True)
        return code, error


def spawn(
    runtime: Runtime,
    container_id: str,
    process: dict[str, Any],
    work_dir: StrPath,
    detach: bool = False,
    stdin: IO[bytes] | int | None = None,
    stdout: IO[bytes] | int | None = None,
    stderr: IO[bytes] | int | None = None,
) -> ExecProcess:
    """Start ``process`` (an OCI process object) in the container; its files go in
    ``work_dir``."""
    fd, name = tempfile.mkstemp(prefix="exec-", suffix=".json", dir=work_dir)
    process_file = Path(name)
    with os.fdopen(fd, "w") as f:
        json.dump(process, f)
    log = process_file.with_suffix(".log")
    args = ["--log", str(log), "--log-format", "json", "exec", "--process", name]
    if detach:
        args.append("--detach")
    if process.get("terminal"):
        args.append("--tty")
    argv = [runtime.argv()[0], "--root", str(runtime.state_root), *args, container_id]
    try:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL if stdin is None and detach else stdin,
            stdout=subprocess.DEVNULL if stdout is None and detach else stdout,
            stderr=stderr,
        )
    except BaseException:
        process_file.unlink(missing_ok=True)
        raise
    return ExecProcess(proc, process_file)
