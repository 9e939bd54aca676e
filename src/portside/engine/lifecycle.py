"""The running side of containers: start (through conmon), stop, kill, restart, pause,
wait. A container's exit is recorded by engine/container_state.py, which conmon's exit
command, a ``stop`` and a ``ps`` that reconciles all go through.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from ..errors import Conflict, ContainerStartError, InvalidArgument, PortsideError
from ..network.hostfiles import write_host_files
from ..processes import send_signal
from ..records import dataclass, replace
from ..runtime import cgroups, monitor, seccomp
from ..runtime.bundle import write_config
from ..runtime.monitor import CreateFailed
from ..runtime.scope import makedirs_in_root
from ..runtime.spec import (
    DEFAULT_CAPABILITIES,
    DEFAULT_PATH,
    Bind,
    ContainerSpec,
    ProcessSpec,
    Tmpfs,
    User,
)
from ..runtime.users import group_ids, resolve_user
from ..signals import parse_signal
from ..store.containers import ContainerRow
from ..store.snapshots import is_mounted, mount_tmpfs
from ..store.tempnames import remove_file
from ..timefmt import now_rfc3339
from . import isolation, resources
from .capabilities import effective_capabilities
from .container_options import log_rotation
from .container_paths import INIT_PATH, ContainerPaths
from .container_state import ACTIVE, UP, Status, unmount_all
from .mounts import in_mount_order

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from _socket import socket

    from .containers import ContainerService

INIT_BINARIES = ("/usr/bin/tini-static", "/usr/bin/docker-init", "/usr/bin/tini")


def start_exit_code(message: str) -> int:
    # runc reports why its init could not exec only as text; Docker classifies the same
    # text the same way (no other channel exists).
    lowered = message.lower()
    if "executable file not found" in lowered or "no such file or directory" in lowered:
        return 127
    if "permission denied" in lowered or "is a directory" in lowered:
        return 126
    return 125


@dataclass
class Started:
    row: ContainerRow
    attach: socket | None = None  # the first of ``attached``
    attached: tuple[socket, ...] = ()  # one connection per attach asked for


class Lifecycle:
    def __init__(self, containers: ContainerService) -> None:
        self.c = containers
        self.store = containers.store
        self.table = containers.table
        self.state = containers.state
        self.runtime = containers.state.runtime

    # -- start --------------------------------------------------------------------
    def start(self, ref: str, attach: bool | int = False) -> Started:
        """Start the container; ``attach``: how many connections to its monitor's
        attach socket to make before it runs (True: one), so no output is missed."""
        with self.store.lock:
            row = self.c.get(ref)
            if row.status in (Status.RUNNING, Status.RESTARTING):
                return Started(row)
            if row.status == Status.PAUSED:
                raise Conflict("cannot start a paused container, try unpause instead")
            return self._start_locked(row, attach)

    def _start_locked(self, row: ContainerRow, attach: bool | int) -> Started:
        paths = self.c.paths(row.id)
        self.c.mount(row, paths)
        networks = self.c.endpoints
        try:
            if row.host_config.get("IpcMode") == "shareable":  # on the host, for joiners
                size = row.host_config.get("ShmSize") or resources.DEFAULT_SHM
                mount_tmpfs(paths.shm, f"mode=1777,size={size}")
            endpoints = networks.allocate(row)
        except BaseException:
            unmount_all(paths)
            raise
        try:
            spec = self._spec(row, paths, endpoints[0].ip if endpoints else "")
            write_config(paths.bundle, spec)
            self.runtime.delete(row.id)
            remove_file(f"{paths.exit_dir}/{row.id}")
            pid, monitor_pid = monitor.launch(
                self.runtime,
                row.id,
                row.name,
                paths.monitor(),
                terminal=bool(row.config.get("Tty")),
                stdin=bool(row.config.get("OpenStdin")),
                exit_command=paths.exit_command(),
                rotation=log_rotation(row.host_config),
            )
        except CreateFailed as e:
            networks.release(row.id)
            unmount_all(paths)
            code = start_exit_code(e.message)
            with self.store.meta.transaction():
                self.table.update(row.id, status=Status.CREATED, exit_code=code, error=e.message)
            raise ContainerStartError(e.message, code) from None
        except BaseException:
            networks.release(row.id)
            unmount_all(paths)
            raise
        socks = tuple(monitor_attach(paths) for _ in range(int(attach)))
        started_at = now_rfc3339()
        try:
            if endpoints:
                networks.plug(row.id, pid)
            self.runtime.start(row.id)
            from .health import start_prober

            health = start_prober(paths, replace(row, started_at=started_at), self.runtime, pid)
        except BaseException:
            for sock in socks:
                sock.close()
            self.runtime.kill(row.id, 9)
            networks.release(row.id)
            raise
        with self.store.meta.transaction():
            self.table.update(
                row.id,
                status=Status.RUNNING,
                pid=pid,
                monitor_pid=monitor_pid,
                started_at=started_at,
                finished_at="",
                error="",
                exit_code=0,
                stopped_by_user=False,
                oom_killed=False,
                health=health,
            )
            from .events import record_container

            record_container(self.store, row, "start")
        return Started(self.table.get(row.id) or row, socks[0] if socks else None, socks)

    def start_again(self, row: ContainerRow) -> None:
        """Start a container its restart policy brings back; under the store lock."""
        self._start_locked(row, attach=False)

    def _spec(self, row: ContainerRow, paths: ContainerPaths, ip: str) -> ContainerSpec:
        cfg, host = row.config, row.host_config
        rootfs = paths.rootfs
        user = resolve_user(rootfs, cfg.get("User") or "")
        if host.get("GroupAdd"):
            user = User(
                user.uid, user.gid, (*user.additional_gids, *group_ids(rootfs, host["GroupAdd"]))
            )
        devices, device_rules = isolation.oci_devices(host)
        args = [*(cfg.get("Entrypoint") or []), *(cfg.get("Cmd") or [])]
        mode = host.get("NetworkMode") or "bridge"
        host_network = mode == "host"
        network_ns = ""
        if mode.startswith("container:"):  # its namespace, and its hosts/resolv.conf
            target = self._running_target(mode, "network")
            network_ns = f"/proc/{target.pid}/ns/net"
            theirs = self.c.paths(target.id).bundle
            binds = [Bind(f"{theirs}/{n}", f"/etc/{n}") for n in ("hosts", "resolv.conf")]
            binds.append(Bind(f"{theirs}/hostname", "/etc/hostname"))
        else:
            written = write_host_files(
                paths.bundle,
                cfg["Hostname"],
                host_network,
                ip,
                self.c.endpoints.extra_hosts(row),
                host.get("Dns") or self.c.settings.dns,  # --dns, else the configuration's
                host.get("DnsSearch") or self.c.settings.dns_search,
            )
            binds = [Bind(source, target) for source, target in written]
        if host.get("Init"):
            init = next((p for p in INIT_BINARIES if os.path.exists(p)), None)
            if init is None:
                raise InvalidArgument("--init: no init binary found (apt-get install tini)")
            binds.append(Bind(init, INIT_PATH, readonly=True))
            args = [INIT_PATH, "--", *args]
        env = list(cfg.get("Env") or [])
        keys = {e.partition("=")[0] for e in env}
        if "PATH" not in keys:
            env.insert(0, f"PATH={DEFAULT_PATH}")
        if "HOSTNAME" not in keys:
            env.append(f"HOSTNAME={cfg['Hostname']}")
        if cfg.get("Tty") and "TERM" not in keys:
            env.append("TERM=xterm")
        cwd = cfg.get("WorkingDir") or "/"
        makedirs_in_root(rootfs, cwd, user.uid, user.gid)
        privileged = bool(host.get("Privileged"))
        caps = effective_capabilities(
            host.get("CapAdd") or [], host.get("CapDrop") or [], privileged
        )
        security = isolation.security_options(host.get("SecurityOpt") or [])
        profile = None
        if not privileged and security.get("seccomp") != "unconfined":
            profile = seccomp.profile_for(caps, security.get("seccomp"))
        shared = self._shared(host)
        return ContainerSpec(
            rootfs=rootfs,
            process=ProcessSpec(
                args=args, env=env, cwd=cwd, user=user, terminal=bool(cfg.get("Tty"))
            ),
            hostname=cfg["Hostname"],
            binds=tuple(binds),
            mounts=self._user_mounts(row, rootfs),
            host_network=host_network,
            network_ns=network_ns,
            cgroups_path=cgroups.of(row.id),
            capabilities=caps,
            privileged=privileged,
            no_new_privileges=security.get("no-new-privileges") == "true",
            seccomp=profile,
            readonly_rootfs=bool(host.get("ReadonlyRootfs")),
            resources=resources.oci_resources(host),
            rlimits=tuple(resources.rlimits(host, self.c.settings.default_ulimits)),
            shm_size=host.get("ShmSize") or resources.DEFAULT_SHM,
            shared=shared,
            shm_from=self._shm_from(str(host.get("IpcMode") or ""), paths),
            devices=tuple(devices),
            device_rules=tuple(device_rules),
        )

    def _shm_from(self, ipc_mode: str, paths: ContainerPaths) -> str:
        """/dev/shm as Docker gives it for ``--ipc``: none for "none", the host's for
        "host", the host-side tmpfs for "shareable" and for what joins one, else a
        tmpfs in the container's own mount namespace."""
        if ipc_mode in ("none", "host"):
            return "none" if ipc_mode == "none" else "/dev/shm"
        if ipc_mode == "shareable":
            return str(paths.shm)
        if ipc_mode.startswith("container:"):
            donor = self.c.paths(self._running_target(ipc_mode, "IPC").id).shm
            if not is_mounted(donor):
                raise ContainerStartError(
                    f"container {ipc_mode.partition(':')[2]}: non-shareable IPC "
                    "(hint: use IpcMode:shareable for the donor container)",
                    125,
                )
            return str(donor)
        return ""

    def _running_target(self, mode: str, what: str) -> ContainerRow:
        """The container a ``container:NAME`` mode names; it must run."""
        target = self.c.get(mode.partition(":")[2])  # reconciled
        if target.status not in UP or not target.pid:
            raise ContainerStartError(
                f"cannot join {what} of a non running container: {target.id}", 125
            )
        return target

    def _shared(self, host: dict[str, object]) -> dict[str, str]:
        """--pid, --ipc, --uts: "host", or the namespace of the container named."""
        out = {}
        for kind, key in (("pid", "PidMode"), ("ipc", "IpcMode"), ("uts", "UTSMode")):
            mode = str(host.get(key) or "")
            if mode == "host":
                out[kind] = "host"
            elif mode.startswith("container:"):
                out[kind] = f"/proc/{self._running_target(mode, kind.upper()).pid}/ns/{kind}"
        return out

    def _user_mounts(self, row: ContainerRow, rootfs: str) -> tuple[Bind | Tmpfs, ...]:
        """The container's binds, volumes and tmpfs, parents first."""
        rows = self.c.mounts(row.id)
        if not rows:
            return ()
        out: list[Bind | Tmpfs] = []
        for m in in_mount_order(rows):
            if m.type == "tmpfs":
                out.append(Tmpfs(m.destination, tuple(o for o in m.options.split(",") if o)))
            elif m.type == "bind":
                out.append(Bind(m.source, m.destination, m.readonly, m.propagation or "rprivate"))
            else:
                data = self.c.volumes.for_start(m, rootfs)  # filled from the image first
                out.append(Bind(data, m.destination, m.readonly))
                from .events import record

                mounted = {"container": row.id, "destination": m.destination}
                mounted.update(driver="local", propagation=m.propagation)
                mounted["read/write"] = "false" if m.readonly else "true"
                record(self.store, "volume", "mount", m.source, mounted)
        return tuple(out)

    # -- update -------------------------------------------------------------------
    def update(self, ref: str, limits: resources.Limits, restart: str = "") -> ContainerRow:
        """``update``: new limits (and restart policy) stored, and applied at once to a
        running container; Docker's errors for impossible ones, nothing changed then."""
        from .container_options import RestartPolicy

        with self.store.lock:
            row = self.c.get(ref)
            host = {**row.host_config, **resources.host_config_fields(limits, row.host_config)}
            if restart:
                if host.get("AutoRemove") and not restart.startswith("no"):
                    raise Conflict(
                        "Restart policy cannot be updated because AutoRemove is enabled for "
                        "the container"
                    )
                host["RestartPolicy"] = RestartPolicy.parse(restart).to_json()
            if row.status in UP and limits.given():
                try:
                    self.runtime.update(row.id, resources.update_argv(host))
                except PortsideError as e:
                    raise InvalidArgument(f"Cannot update container {row.id}: {e}") from None
            with self.store.meta.transaction():
                self.table.set_host_config(row.id, host)
                from .events import record_container

                record_container(self.store, row, "update")
            return self.table.get(row.id) or row

    # -- signals and stopping -----------------------------------------------------
    def kill(self, ref: str, signal_text: str = "KILL") -> ContainerRow:
        sig = parse_signal(signal_text)
        row = self.c.get(ref)
        if row.status not in UP:
            raise Conflict(f"Cannot kill container: {ref}: Container {row.id} is not running")
        if sig in (9, 15, 2):
            with self.store.meta.transaction():
                self.table.update(row.id, stopped_by_user=True)
        self.runtime.kill(row.id, sig)
        from .events import record_container

        record_container(self.store, row, "kill", signal=str(sig))
        if sig != 9:
            return row
        # Docker's kill with SIGKILL returns once the container is down, so an inspect
        # right after it sees the exit (runc thaws a paused one for SIGKILL)
        self.state.wait_exit(row, 10.0)
        self.state.cleanup(row.id)
        return self.table.get(row.id) or row

    def stop(self, ref: str, timeout: int | None = None) -> ContainerRow:
        row = self.c.get(ref)
        if row.status not in ACTIVE:
            return row
        with self.store.meta.transaction():
            self.table.update(row.id, stopped_by_user=True)
        if timeout is None:
            timeout = row.config.get("StopTimeout")
        if timeout is None:
            timeout = 10
        sig = parse_signal(row.config.get("StopSignal") or "SIGTERM")
        # straight to its init, as runc kill would after its own ~15 ms start
        send_signal(row.pid, sig)
        from .events import record_container

        record_container(self.store, row, "kill", signal=str(sig))
        if row.status == Status.PAUSED:
            self.runtime.resume(row.id)
        if not self.state.wait_exit(row, float(timeout) if timeout >= 0 else None):
            self.runtime.kill(row.id, 9, all_processes=True)
            self.state.wait_exit(row, 10.0)
        self.state.cleanup(row.id)
        record_container(self.store, row, "stop")
        return self.table.get(row.id) or row

    def pause(self, ref: str) -> None:
        row = self.c.get(ref)
        if row.status != Status.RUNNING:
            raise Conflict(f"Container {row.id} is not running")
        self.runtime.pause(row.id)
        with self.store.meta.transaction():
            self.table.update(row.id, status=Status.PAUSED)
            from .events import record_container

            record_container(self.store, row, "pause")

    def unpause(self, ref: str) -> None:
        row = self.c.get(ref)
        if row.status != Status.PAUSED:
            raise Conflict(f"Container {row.id} is not paused")
        self.runtime.resume(row.id)
        with self.store.meta.transaction():
            self.table.update(row.id, status=Status.RUNNING)
            from .events import record_container

            record_container(self.store, row, "unpause")

    def top(self, ref: str, ps_args: list[str]) -> tuple[list[str], list[list[str]]]:
        """``top``: ps's column titles and one row per process of the container."""
        row = self.c.get(ref)
        if row.status not in UP:
            raise Conflict(f"container {row.id} is not running")
        lines = self.runtime.ps(row.id, ps_args, row.pid).splitlines()
        if not lines:
            return [], []
        titles = lines[0].split()
        # the last column (the command) may hold spaces; the others never do
        return titles, [line.split(None, len(titles) - 1) for line in lines[1:] if line.strip()]

    def restart(self, ref: str, timeout: int | None = None) -> ContainerRow:
        row = self.stop(ref, timeout)
        started = self.start(row.id).row
        from .events import record_container

        record_container(self.store, started, "restart")
        return started

    # -- waiting ------------------------------------------------------------------
    def wait(self, ref: str, stopped: Callable[[], bool] = lambda: False) -> int:
        """The container's exit code, once it is not running; WaitAbandoned when
        ``stopped()`` first (the one waiting went away)."""
        row = self.c.get(ref)
        container_id = row.id
        exit_dir = self.c.paths(container_id).exit_dir
        while True:
            if stopped():
                raise WaitAbandoned(container_id)
            current = self.table.get(container_id)
            if current is None:  # removed (--rm): conmon's exit file still has the code
                code = monitor.read_exit_code(exit_dir, container_id)
                return code if code is not None else row.exit_code
            current = self.state.reconcile(current)
            if current.status not in ACTIVE:
                return current.exit_code
            self.state.wait_exit(current, 0.5)
            if monitor.read_exit_code(exit_dir, container_id) is not None:
                self.state.cleanup(container_id)

    def wait_for(
        self,
        ref: str,
        condition: str = "not-running",
        poll: float = 0.05,
        stopped: Callable[[], bool] = lambda: False,
    ) -> int:
        """The Engine API's wait conditions. ``not-running``: as ``wait``.
        ``next-exit``: a created container is waited for to start, then to exit.
        ``removed``: that exit, then its row gone (``--rm``); the exit code is the real
        one, read before the removal."""
        if condition not in WAIT_CONDITIONS:
            raise InvalidArgument(f"invalid condition: {condition!r}")
        row = self.c.get(ref)
        if condition == "not-running":
            return self.wait(row.id, stopped)
        code = row.exit_code
        while True:
            if stopped():
                raise WaitAbandoned(row.id)
            current = self.table.get(row.id)
            if current is None:
                recorded = monitor.read_exit_code(self.c.paths(row.id).exit_dir, row.id)
                return recorded if recorded is not None else row.exit_code
            current = self.state.reconcile(current)
            if current.status in ACTIVE or current.started_at != row.started_at:
                code = self.wait(row.id, stopped)  # it started: its next exit
                break
            time.sleep(poll)
        while condition == "removed" and self.table.get(row.id) is not None:
            if stopped():
                raise WaitAbandoned(row.id)
            time.sleep(poll)
        return code


class WaitAbandoned(Exception):
    """A wait given up because the one waiting went away (an API client that closed)."""


WAIT_CONDITIONS = ("not-running", "next-exit", "removed")


def monitor_attach(paths: ContainerPaths) -> socket:
    from ..runtime.attach import connect

    return connect(paths.bundle)


__all__ = ["DEFAULT_CAPABILITIES", "Lifecycle", "Started", "WaitAbandoned"]
