"""OCI runtime config (config.json) with Docker's defaults.

Docker's defaults, kept here in one place: its 14 default capabilities, masked and
read-only /proc and /sys paths, a fresh /dev (tmpfs) with the standard devices and
devpts, /dev/shm 64 MiB, private pid/ipc/uts/mount/network namespaces, a device
cgroup that allows only the standard devices, and a seccomp profile (seccomp.py).
"""

from __future__ import annotations

from ..records import dataclass, field
from ..userns import maps, rootless

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import Any

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

DEFAULT_CAPABILITIES = (
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FSETID",
    "CAP_FOWNER",
    "CAP_MKNOD",
    "CAP_NET_RAW",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETFCAP",
    "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT",
    "CAP_KILL",
    "CAP_AUDIT_WRITE",
)

MASKED_PATHS = (
    "/proc/asound",
    "/proc/acpi",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
)
READONLY_PATHS = ("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger")

# (type, major, minor) the device cgroup allows besides mknod of anything
_ALLOWED_DEVICES = (
    ("c", 1, 3),
    ("c", 1, 5),
    ("c", 1, 7),
    ("c", 1, 8),
    ("c", 1, 9),  # null zero full random urandom
    ("c", 5, 0),
    ("c", 5, 1),
    ("c", 5, 2),  # tty console ptmx
    ("c", 136, None),  # pts
    ("c", 10, 200),  # tun
)


@dataclass(frozen=True)
class User:
    uid: int = 0
    gid: int = 0
    additional_gids: tuple[int, ...] = ()


@dataclass(frozen=True)
class Bind:
    source: str
    destination: str
    readonly: bool = False
    propagation: str = "rprivate"


@dataclass(frozen=True)
class Tmpfs:
    destination: str
    options: tuple[str, ...] = ()  # mount(8) options: size=64m, mode=1777, ro …


@dataclass(frozen=True)
class ProcessSpec:
    args: list[str]
    env: list[str]
    cwd: str = "/"
    user: User = User()
    terminal: bool = False


@dataclass(frozen=True)
class ContainerSpec:
    rootfs: str
    process: ProcessSpec
    hostname: str
    binds: tuple[Bind, ...] = ()
    mounts: tuple[Bind | Tmpfs, ...] = ()  # the user's (-v, --mount, --tmpfs), in order
    host_network: bool = False
    network_ns: str = ""  # join this namespace (another container's) instead of a new one
    cgroups_path: str = ""
    capabilities: tuple[str, ...] = DEFAULT_CAPABILITIES
    privileged: bool = False
    no_new_privileges: bool = False
    seccomp: dict[str, Any] | None = None
    readonly_rootfs: bool = False
    resources: dict[str, Any] = field(default_factory=dict)  # linux.resources, devices aside
    rlimits: tuple[dict[str, Any], ...] = ()
    shm_size: int = 64 * 1024 * 1024
    # /dev/shm: "" a tmpfs of its own (shm_size), "none" none, else a host path bound there
    # (the host's /dev/shm for --ipc host, another container's for --ipc container:NAME)
    shm_from: str = ""
    # pid/ipc/uts: "host" shares the host's, a /proc/PID/ns/… path joins that one
    shared: dict[str, str] = field(default_factory=dict)
    devices: tuple[dict[str, Any], ...] = ()  # linux.devices: nodes made inside
    device_rules: tuple[dict[str, Any], ...] = ()  # and the cgroup rules allowing them
    annotations: dict[str, str] = field(default_factory=dict)


def process_json(p: ProcessSpec, spec: ContainerSpec) -> dict[str, Any]:
    caps = list(spec.capabilities)
    out: dict[str, Any] = {
        "terminal": p.terminal,
        "user": {"uid": p.user.uid, "gid": p.user.gid},
        "args": p.args,
        "env": p.env,
        "cwd": p.cwd,
        "capabilities": {"bounding": caps, "effective": caps, "permitted": caps},
        "noNewPrivileges": spec.no_new_privileges,
        "oomScoreAdj": 0,
    }
    if spec.rlimits:
        out["rlimits"] = list(spec.rlimits)
    if p.user.additional_gids:
        out["user"]["additionalGids"] = list(p.user.additional_gids)
    return out


def _sys(spec: ContainerSpec, options: list[str]) -> dict[str, Any]:
    """sysfs; in a user namespace sharing the host's network, whose sysfs it may not
    mount, the host's /sys bound read-only instead (as rootless Podman does)."""
    if spec.host_network and rootless():
        return {
            "destination": "/sys",
            "type": "bind",
            "source": "/sys",
            "options": ["rbind", "nosuid", "noexec", "nodev", "ro"],
        }
    return {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": options}


def _mounts(spec: ContainerSpec) -> list[dict[str, Any]]:
    sys_options = (
        ["nosuid", "noexec", "nodev", "ro"]
        if not spec.privileged
        else ["nosuid", "noexec", "nodev"]
    )
    mounts: list[dict[str, Any]] = [
        {
            "destination": "/proc",
            "type": "proc",
            "source": "proc",
            "options": ["nosuid", "noexec", "nodev"],
        },
        {
            "destination": "/dev",
            "type": "tmpfs",
            "source": "tmpfs",
            "options": ["nosuid", "strictatime", "mode=755", "size=65536k"],
        },
        {
            "destination": "/dev/pts",
            "type": "devpts",
            "source": "devpts",
            "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]
            + (["gid=5"] if maps("gid", 5) else []),  # the tty group, when it exists
        },
        _sys(spec, sys_options),
        {
            "destination": "/sys/fs/cgroup",
            "type": "cgroup",
            "source": "cgroup",
            "options": ["ro", "nosuid", "noexec", "nodev"],
        },
        {
            "destination": "/dev/mqueue",
            "type": "mqueue",
            "source": "mqueue",
            "options": ["nosuid", "noexec", "nodev"],
        },
    ]
    if spec.shm_from == "":
        shm_options = ["nosuid", "noexec", "nodev", "mode=1777", f"size={spec.shm_size}"]
        mounts.append(
            {"destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": shm_options}
        )
    elif spec.shm_from != "none":
        mounts.append(
            {
                "destination": "/dev/shm",
                "type": "bind",
                "source": spec.shm_from,
                "options": ["rbind", "rprivate"],
            }
        )
    users = {m.destination for m in spec.mounts}
    for m in [b for b in spec.binds if b.destination not in users] + list(spec.mounts):
        if isinstance(m, Tmpfs):
            # Docker's defaults for a tmpfs, which the user's options may override
            options = ["nosuid", "nodev", "noexec", *m.options]
            mounts.append(
                {
                    "destination": m.destination,
                    "type": "tmpfs",
                    "source": "tmpfs",
                    "options": options,
                }
            )
            continue
        options = ["rbind", m.propagation] + (["ro"] if m.readonly else [])
        mounts.append(
            {"destination": m.destination, "type": "bind", "source": m.source, "options": options}
        )
    return mounts


def _devices(privileged: bool) -> list[dict[str, Any]]:
    if privileged:
        return [{"allow": True, "access": "rwm"}]
    rules: list[dict[str, Any]] = [
        {"allow": False, "access": "rwm"},
        {"allow": True, "type": "c", "access": "m"},
        {"allow": True, "type": "b", "access": "m"},
    ]
    for kind, major, minor in _ALLOWED_DEVICES:
        rule: dict[str, Any] = {"allow": True, "type": kind, "major": major, "access": "rwm"}
        if minor is not None:
            rule["minor"] = minor
        rules.append(rule)
    return rules


def config_json(spec: ContainerSpec) -> dict[str, Any]:
    namespaces: list[dict[str, str]] = []
    for kind in ("pid", "ipc", "uts", "mount"):
        how = spec.shared.get(kind, "")
        if how != "host":
            namespaces.append({"type": kind, "path": how} if how else {"type": kind})
    if spec.network_ns:
        namespaces.append({"type": "network", "path": spec.network_ns})
    elif not spec.host_network:
        namespaces.append({"type": "network"})
    linux: dict[str, Any] = {
        "namespaces": namespaces,
        "resources": {
            **spec.resources,
            "devices": _devices(spec.privileged) + list(spec.device_rules),
        },
    }
    if spec.cgroups_path:
        linux["cgroupsPath"] = spec.cgroups_path
    if spec.devices:
        linux["devices"] = list(spec.devices)
    if not spec.privileged:
        linux["maskedPaths"] = list(MASKED_PATHS)
        linux["readonlyPaths"] = list(READONLY_PATHS)
        if spec.seccomp is not None:
            linux["seccomp"] = spec.seccomp
    out = {
        "ociVersion": "1.0.2",
        "process": process_json(spec.process, spec),
        "root": {"path": spec.rootfs, "readonly": spec.readonly_rootfs},
        "mounts": _mounts(spec),
        "annotations": dict(spec.annotations),
        "linux": linux,
    }
    if spec.shared.get("uts") != "host":  # runc cannot set the host's name
        out["hostname"] = spec.hostname
    return out
