"""Container state: Docker's ``State.Status`` values, and the one way a container leaves
the running ones.

    created ──start──► running ──pause──► paused ──unpause──► running
    running, paused ──its process ends──► exited
                                     └──► restarting (restart policy) ──► running
    created, exited ──rm──► gone (``--rm``: as soon as it exits)

``removing`` and ``dead`` are Docker's too: ``ps --filter status=`` takes them and
``inspect`` reports them, but portside never puts a container in them.

A container's exit is recorded in one place, ``ContainerState.cleanup``: by conmon's
exit command (``portside container cleanup ID``), by ``stop``, ``kill`` and ``wait``
once the process is down, and by ``reconcile``: a command that finds an active
container whose monitor is gone records the exit then. Every change is made under the
store lock, so all of these can race without harm: whoever comes first records it.
"""

from __future__ import annotations

import os
import time

from ..config import Settings
from ..processes import alive, pidfd
from ..runtime.runc import Runtime
from ..store.containers import ContainerRow, ContainerTable
from ..store.snapshots import is_mounted, unmount
from ..timefmt import now_rfc3339, parse_rfc3339
from ..units import human_duration
from .container_paths import ContainerPaths

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from ..store.store import Store


class Status:
    """Docker's ``State.Status`` values, as the rows hold them (strings: ``enum`` is
    ~1.5 ms of every command's start)."""

    CREATED = "created"
    RESTARTING = "restarting"
    RUNNING = "running"
    REMOVING = "removing"
    PAUSED = "paused"
    EXITED = "exited"
    DEAD = "dead"


STATUSES = frozenset(v for k, v in vars(Status).items() if k.isupper())


ACTIVE = frozenset({Status.RUNNING, Status.PAUSED, Status.RESTARTING})  # a monitor holds it
UP = frozenset({Status.RUNNING, Status.PAUSED})  # its processes exist (kill, top, its PID)

ZERO_TIME = "0001-01-01T00:00:00Z"


def state_json(row: ContainerRow) -> dict[str, Any]:
    """``inspect``'s State."""
    return {
        "Status": row.status,
        "Running": row.status in UP,
        "Paused": row.status == Status.PAUSED,
        "Restarting": row.status == Status.RESTARTING,
        "OOMKilled": row.oom_killed,
        "Dead": row.status == Status.DEAD,
        "Pid": row.pid if row.status in UP else 0,
        "ExitCode": row.exit_code,
        "Error": row.error,
        "StartedAt": row.started_at or ZERO_TIME,
        "FinishedAt": row.finished_at or ZERO_TIME,
    }


def unmount_all(paths: ContainerPaths) -> None:
    """Unmount what a start mounted on the host: a shareable /dev/shm, the root."""
    for target in (paths.shm, paths.rootfs):
        # a tmpfs and an overlay: each is its own device when mounted. Asking first
        # spares a container that never ran (rm of a created one) loading libc
        # through ctypes (3 ms) for two umount2 calls that would fail with EINVAL
        if is_mounted(target):
            unmount(target)


class ContainerState:
    """Records exits and applies what follows them (``--rm``, the restart policy).

    What it cannot do itself it is given: ``release_network`` frees a container's
    endpoints, ``purge`` removes a container (engine/containers.py), ``start_again``
    starts one the restart policy brings back (engine/lifecycle.py), under the lock.
    """

    def __init__(
        self,
        settings: Settings,
        store: Store,
        release_network: Callable[[str], None],
        purge: Callable[[str], None],
        start_again: Callable[[ContainerRow], object],
    ) -> None:
        self.settings = settings
        self.store = store
        self.table = ContainerTable(store.meta.conn)
        self.runtime = Runtime(settings.runtime, f"{settings.runroot}/runc")
        self.release_network = release_network
        self.purge = purge
        self.start_again = start_again

    def reconcile(self, row: ContainerRow) -> ContainerRow:
        """A container whose monitor is gone is not running: record its exit now."""
        if row.status not in ACTIVE or alive(row.monitor_pid):
            return row
        self.cleanup(row.id)
        return self.table.get(row.id) or row

    def record_health(self, container_id: str, status: str) -> None:
        """The prober's report of a changed health status (engine/health.py)."""
        from .health import record_status

        record_status(self.store, container_id, status)

    def wait_exit(self, row: ContainerRow, timeout: float | None) -> bool:
        """Wait until conmon recorded the container's exit; False on timeout."""
        from ..runtime.monitor import read_exit_code  # subprocess: not for every ``ps``

        exit_dir = ContainerPaths(self.settings, row.id).exit_dir
        deadline = None if timeout is None else time.monotonic() + timeout
        fd = pidfd(row.pid)
        looks = 0  # looks for the exit file since the container was seen gone
        try:
            while True:
                if read_exit_code(exit_dir, row.id) is not None:
                    return True
                if not alive(row.monitor_pid):
                    return True
                remaining = 0.05 if deadline is None else min(0.05, deadline - time.monotonic())
                if remaining <= 0:
                    return False
                if fd is not None and not _readable(fd, remaining):
                    continue  # still running: its pidfd wakes us when it dies
                # gone (or already gone when asked, as after ``runc kill`` returned):
                # conmon writes the exit file within milliseconds of reaping it, so look
                # every 2 ms for the first 0.1 s, where a 50 ms nap cost stop 50 ms
                looks += 1
                time.sleep(min(0.002 if looks <= 50 else 0.05, remaining))
        finally:
            if fd is not None:
                os.close(fd)

    def kill_and_reap(self, container_id: str) -> None:
        """``rm -f``: the container killed and its exit recorded, never restarted."""
        row = self.table.get(container_id)
        if row is None:
            return
        with self.store.meta.transaction():
            self.table.update(row.id, stopped_by_user=True)
        if row.status == Status.PAUSED:
            self.runtime.resume(row.id)
        self.runtime.kill(row.id, 9, all_processes=True)
        self.wait_exit(row, 10.0)
        self.cleanup(row.id, allow_restart=False)

    def cleanup(
        self, container_id: str, allow_restart: bool = True, from_monitor: bool = False
    ) -> None:
        """Record the container's exit (conmon's exit code, or 255 when the monitor
        died without one), free what it held, then remove it (``--rm``) or start it
        again (its restart policy).

        ``from_monitor``: called by conmon's exit command. That command can come late,
        after ``restart`` (or a restart policy) recorded this run's exit and started
        the next one; finding no exit code while the container's current monitor is
        alive, it is such a late call and leaves the new run alone."""
        from ..runtime.monitor import read_exit_code
        from .events import record_container

        paths = ContainerPaths(self.settings, container_id)
        restart = remove = False
        with self.store.lock:
            row = self.table.get(container_id)
            if row is None:
                return
            if row.status not in ACTIVE:
                unmount_all(paths)
                return
            code = read_exit_code(paths.exit_dir, container_id)
            if code is None and from_monitor and alive(row.monitor_pid):
                return
            if code is None:
                # the monitor is gone without a word (killed): end what it left running
                self.runtime.kill(container_id, 9, all_processes=True)
                code = 255 if row.status != Status.RESTARTING else row.exit_code
            from .health import stop_prober

            stop_prober(paths)  # the healthcheck's probes end with the container
            from ..runtime import cgroups  # not for ps

            oom = cgroups.oom_killed(cgroups.of(container_id))  # gone at runc delete
            self.runtime.delete(container_id)
            self.release_network(container_id)
            unmount_all(paths)
            policy = row.host_config.get("RestartPolicy") or {}
            name = policy.get("Name") or "no"
            if allow_restart and not row.stopped_by_user:
                if name in ("always", "unless-stopped"):
                    restart = True
                elif name == "on-failure" and code != 0:
                    limit = int(policy.get("MaximumRetryCount") or 0)
                    restart = limit == 0 or row.restart_count < limit
            remove = bool(row.host_config.get("AutoRemove")) and not restart
            with self.store.meta.transaction():
                # while it waits to restart, this process stands in for the monitor, so a
                # reconciling command does not take the container for dead
                self.table.update(
                    container_id,
                    status=Status.RESTARTING if restart else Status.EXITED,
                    exit_code=code,
                    finished_at=now_rfc3339(),
                    pid=0,
                    monitor_pid=os.getpid() if restart else 0,
                    oom_killed=oom,
                )
                if oom:
                    record_container(self.store, row, "oom")
                record_container(self.store, row, "die", exitCode=str(code))
        if remove:
            self.purge(container_id)
        elif restart:
            time.sleep(min(0.1 * (2**row.restart_count), 1.0))  # Docker's growing delay
            with self.store.lock:
                current = self.table.get(container_id)
                if (
                    current is None
                    or current.status != Status.RESTARTING
                    or current.stopped_by_user
                ):
                    return
                with self.store.meta.transaction():
                    self.table.update(container_id, restart_count=current.restart_count + 1)
                self.start_again(current)


def _readable(fd: int, timeout: float) -> bool:
    import select  # only a wait for an exit needs it

    return bool(select.select([fd], [], [], timeout)[0])


def status_text(row: ContainerRow) -> str:
    """Docker's STATUS (``ps``, the API's container list): "Up 3 seconds",
    "Up 3 minutes (healthy)", "Exited (0) 5 seconds ago", "Created"."""
    if row.status in UP:
        text = "Up " + human_duration(_ago(row.started_at))
        if row.status == Status.PAUSED:
            return text + " (Paused)"
        if row.health:  # Docker's Health.String()
            return (
                f"{text} (health: starting)"
                if row.health == "starting"
                else f"{text} ({row.health})"
            )
        return text
    if row.status == Status.RESTARTING:
        return f"Restarting ({row.exit_code}) {human_duration(_ago(row.finished_at))} ago"
    if row.status == Status.EXITED:
        return f"Exited ({row.exit_code}) {human_duration(_ago(row.finished_at))} ago"
    return row.status.title()


def _ago(stamp: str) -> float:
    epoch = parse_rfc3339(stamp)
    return time.time() - epoch if epoch else 0.0
