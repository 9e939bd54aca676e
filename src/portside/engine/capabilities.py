"""--cap-add / --cap-drop / --privileged, resolved to the capability set as Docker does."""

from __future__ import annotations

from ..errors import InvalidArgument
from ..runtime.spec import DEFAULT_CAPABILITIES

# in capability number order: CAP_CHOWN is 0, CAP_CHECKPOINT_RESTORE 40
ALL_CAPABILITIES = (
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
)


def host_capabilities() -> tuple[str, ...]:
    """The capabilities this process may hand on (its bounding set), by number order."""
    try:
        with open("/proc/self/status") as f:
            line = next(ln for ln in f if ln.startswith("CapBnd:"))
    except (OSError, StopIteration):
        return ALL_CAPABILITIES
    mask = int(line.split()[1], 16)
    return tuple(name for bit, name in enumerate(ALL_CAPABILITIES) if mask >> bit & 1)


def normalize(name: str) -> str:
    upper = name.strip().upper()
    if upper == "ALL":
        return "ALL"
    full = upper if upper.startswith("CAP_") else "CAP_" + upper
    if full not in ALL_CAPABILITIES:
        raise InvalidArgument(f'invalid capability: unknown capability: "{full}"')
    return full


def effective_capabilities(add: list[str], drop: list[str], privileged: bool) -> tuple[str, ...]:
    adds = [normalize(c) for c in add]
    drops = [normalize(c) for c in drop]
    if privileged:
        return host_capabilities()
    base = list(DEFAULT_CAPABILITIES)
    if "ALL" in drops:
        base = []
    else:
        base = [c for c in base if c not in drops]
    if "ALL" in adds:
        base = list(host_capabilities())
    else:
        base += [c for c in adds if c not in base]
    return tuple(base)
