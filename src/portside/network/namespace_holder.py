"""A network namespace held by a process of ours: a build's RUN step joins it (runc
gets ``/proc/PID/ns/net``). The holder dies with its parent (``PR_SET_PDEATHSIG``), so a
killed build takes the namespace and its veth along."""

from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    import subprocess


def start() -> subprocess.Popen[bytes]:
    import subprocess  # only a build's RUN step starts one: not for inspect

    return subprocess.Popen(
        ["sleep", "infinity"],
        preexec_fn=_own_network_namespace,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _own_network_namespace() -> None:
    """In the child before exec: a network namespace of its own, and death (SIGKILL)
    when its parent goes."""
    import ctypes
    import signal

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(1, signal.SIGKILL, 0, 0, 0) != 0:  # PR_SET_PDEATHSIG
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG)")
    if libc.unshare(0x40000000) != 0:  # CLONE_NEWNET
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNET)")
