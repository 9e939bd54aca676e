"""Starting the helper programs of the container path (runc, conmon) on ``os.posix_spawn``.

``import subprocess`` costs a command about 13 ms here: it brings ``signal`` and ``enum``,
``threading``, ``selectors``, and ``locale`` with ``re``. ``run``, ``start``, ``stop`` and
``rm`` start runc and conmon a few times each, so they start them through this module
instead, which needs only ``os``, ``_signal`` and ``select`` (built in, or nearly).

posix_spawn has no working directory of its own: ``cwd`` is given to the child by
starting it through coreutils' ``/usr/bin/env --chdir`` (one more exec, ~0.5 ms). A
descriptor in ``pass_fds`` is duplicated onto itself, which glibc (2.29 and later)
takes as clearing its close-on-exec flag. Unlike subprocess, no other descriptor is
closed in the child: every one Python opens is close-on-exec already.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    import signal as _signal  # typeshed has no stub for _signal, which signal re-exports
    from collections.abc import Mapping, Sequence
else:
    import _signal

pidfd_send_signal = _signal.pidfd_send_signal
# what subprocess's restore_signals puts back: Python ignores these for itself
_RESTORED = (_signal.SIGPIPE, _signal.SIGXFSZ)


class Finished:
    """A child that has ended: its exit code (negative: the signal that killed it) and
    what it wrote, decoded as UTF-8."""

    __slots__ = ("returncode", "stdout", "stderr")

    def __init__(self, returncode: int, stdout: str, stderr: str) -> None:
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr


class Child:
    """A started child; ``stderr`` is the read end of its stderr pipe, or -1."""

    __slots__ = ("pid", "stderr")

    def __init__(self, pid: int, stderr: int) -> None:
        self.pid = pid
        self.stderr = stderr

    def wait(self, timeout: float | None = None) -> tuple[int, bytes]:
        """Read its stderr to the end, then reap it: (exit code, stderr)."""
        outputs = collect({self.stderr: "stderr"} if self.stderr >= 0 else {}, timeout)
        self.stderr = -1  # closed by collect
        if outputs is None:
            self.kill()
            raise TimeoutError(f"a helper program (PID {self.pid}) ran past {timeout} s")
        return reap(self.pid), outputs.get("stderr", b"")

    def kill(self) -> None:
        try:
            os.kill(self.pid, _signal.SIGKILL)
        except ProcessLookupError:
            pass
        reap(self.pid)
        if self.stderr >= 0:
            os.close(self.stderr)
            self.stderr = -1


def start(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
    stdin: int | None = None,
    stdout: int | None = None,
    stderr_pipe: bool = True,
    pass_fds: Sequence[int] = (),
    new_session: bool = False,
) -> Child:
    """Start ``argv`` (looked up on $PATH when it names no folder). Its stdin and stdout
    are ``stdin``/``stdout`` when given, /dev/null otherwise; its stderr a pipe to us
    (``stderr_pipe``) or /dev/null."""
    if cwd is not None:
        argv = ["/usr/bin/env", f"--chdir={cwd}", "--", *argv]
    null = os.open(os.devnull, os.O_RDWR | os.O_CLOEXEC)
    read_end, write_end = os.pipe() if stderr_pipe else (-1, null)
    actions = [
        (os.POSIX_SPAWN_DUP2, null if stdin is None else stdin, 0),
        (os.POSIX_SPAWN_DUP2, null if stdout is None else stdout, 1),
        (os.POSIX_SPAWN_DUP2, write_end, 2),
        *((os.POSIX_SPAWN_DUP2, fd, fd) for fd in pass_fds),
    ]
    spawn = os.posix_spawn if "/" in argv[0] else os.posix_spawnp
    try:
        pid = spawn(
            argv[0],
            list(argv),
            os.environ if env is None else env,
            file_actions=actions,
            setsigdef=_RESTORED,
            setsid=new_session,
        )
    except BaseException:
        if read_end >= 0:
            os.close(read_end)
        raise
    finally:
        os.close(null)
        if write_end != null:
            os.close(write_end)
    return Child(pid, read_end)


def run(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    input: bytes | None = None,
    timeout: float | None = None,
) -> Finished:
    """Run ``argv`` to its end with ``input`` as its stdin (/dev/null without), capturing
    its stdout and stderr (``subprocess.run(argv, capture_output=True, text=True)``). A
    child still running after ``timeout`` seconds is killed, and TimeoutError raised."""
    out_read, out_write = os.pipe()
    in_read, in_write = os.pipe() if input is not None else (-1, -1)
    try:
        child = start(argv, env=env, stdin=None if input is None else in_read, stdout=out_write)
    except BaseException:
        os.close(out_read)
        if in_write >= 0:
            os.close(in_write)
        raise
    finally:
        os.close(out_write)
        if in_read >= 0:
            os.close(in_read)
    feed = None if input is None else (in_write, input)
    outputs = collect({out_read: "stdout", child.stderr: "stderr"}, timeout, feed)
    child.stderr = -1  # closed by collect
    if outputs is None:
        child.kill()
        raise TimeoutError(f"{argv[0]} ran past {timeout} s")
    code = reap(child.pid)
    return Finished(
        code,
        outputs["stdout"].decode(errors="replace"),
        outputs["stderr"].decode(errors="replace"),
    )


def collect(
    pipes: dict[int, str], timeout: float | None, feed: tuple[int, bytes] | None = None
) -> dict[str, bytes] | None:
    """Read every pipe to its end, writing ``feed``'s bytes to its descriptor meanwhile,
    and close them all; None on running past ``timeout`` seconds."""
    import select
    import time

    chunks: dict[str, list[bytes]] = {name: [] for name in pipes.values()}
    poller = select.poll()
    for fd in pipes:
        poller.register(fd, select.POLLIN)
    to_close = [*pipes]
    pending = memoryview(b"")
    if feed is not None:
        to_close.append(feed[0])
        pending = memoryview(feed[1])
        if pending:
            os.set_blocking(feed[0], False)  # a write takes what fits, never waits
            poller.register(feed[0], select.POLLOUT)
        else:
            os.close(to_close.pop())
    deadline = None if timeout is None else time.monotonic() + timeout
    open_fds = set(pipes)
    try:
        while open_fds or pending:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready = poller.poll(None if left is None else int(left * 1000))
            if not ready and deadline is not None and time.monotonic() >= deadline:
                return None
            for fd, _ in ready:
                if fd not in pipes:  # the feed: as much as the pipe takes now
                    try:
                        pending = pending[os.write(fd, pending) :]
                    except BlockingIOError:
                        continue
                    except BrokenPipeError:
                        pending = memoryview(b"")  # the child stopped reading
                    if not pending:
                        poller.unregister(fd)
                        os.close(to_close.pop())
                    continue
                data = os.read(fd, 65536)
                if data:
                    chunks[pipes[fd]].append(data)
                else:
                    poller.unregister(fd)
                    open_fds.discard(fd)
    finally:
        for fd in to_close:
            os.close(fd)
    return {name: b"".join(parts) for name, parts in chunks.items()}


def reap(pid: int) -> int:
    """Wait for ``pid`` (our child) and return its exit code, as subprocess reports it."""
    while True:
        try:
            _, status = os.waitpid(pid, 0)
        except ChildProcessError:
            return 0  # reaped elsewhere: its status is lost, as subprocess reports it
        except InterruptedError:
            continue
        return os.waitstatus_to_exitcode(status)
