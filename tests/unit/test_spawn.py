"""spawn.py starts real programs as subprocess would: output, exit codes, stdin fed
without deadlock, a timeout that kills, a working folder, passed descriptors, a new
session, and signal dispositions put back to their defaults."""

from __future__ import annotations

import os
import signal
import sys

import pytest

from portside import spawn


def test_run_captures_both_streams_and_the_exit_code() -> None:
    done = spawn.run(["sh", "-c", "echo out; echo err >&2; exit 3"])
    assert (done.returncode, done.stdout, done.stderr) == (3, "out\n", "err\n")


def test_a_signal_death_is_a_negative_code() -> None:
    assert spawn.run(["sh", "-c", "kill -9 $$"]).returncode == -signal.SIGKILL


def test_input_larger_than_a_pipe_goes_through_while_output_comes_back() -> None:
    data = os.urandom(3 << 20).hex().encode()  # 6 MiB: both pipes fill many times over
    done = spawn.run(["cat"], input=data)
    assert done.returncode == 0 and done.stdout.encode() == data


def test_a_child_that_stops_reading_does_not_hang_the_feed() -> None:
    done = spawn.run(["head", "-c", "1"], input=b"x" * (1 << 20))
    assert (done.returncode, done.stdout) == (0, "x")


def test_stdin_is_empty_without_input() -> None:
    assert spawn.run(["cat"]).stdout == ""


def test_a_missing_program_raises_file_not_found() -> None:
    with pytest.raises(FileNotFoundError):
        spawn.run(["portside-no-such-program"])


def test_timeout_kills_and_raises() -> None:
    with pytest.raises(TimeoutError):
        spawn.run(["sleep", "30"], timeout=0.2)


def test_start_in_a_folder_with_a_descriptor_passed_in_a_new_session(tmp_path: object) -> None:
    read_end, write_end = os.pipe()
    try:
        report = (
            "import os, sys; os.write(int(sys.argv[1]), f'{os.getcwd()} {os.getsid(0)}'.encode())"
        )
        child = spawn.start(
            [sys.executable, "-c", report + "; print('bye', file=sys.stderr)", str(write_end)],
            cwd=str(tmp_path),
            pass_fds=(write_end,),
            new_session=True,
        )
    finally:
        os.close(write_end)
    code, err = child.wait(timeout=10)
    with os.fdopen(read_end) as f:
        folder, sid = f.read().split()
    assert (code, err, folder) == (0, b"bye\n", str(tmp_path))
    assert int(sid) == child.pid  # its own session: it leads it


def test_signals_python_ignores_are_default_again_in_the_child() -> None:
    assert signal.getsignal(signal.SIGPIPE) == signal.SIG_IGN  # Python's own
    status = spawn.run(["cat", "/proc/self/status"]).stdout
    ignored = int(next(line for line in status.splitlines() if line.startswith("SigIgn:"))[7:], 16)
    for sig in (signal.SIGPIPE, signal.SIGXFSZ):
        assert not ignored & (1 << (sig - 1))
