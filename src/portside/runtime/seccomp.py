"""The default seccomp profile, converted from Docker's profile format to the OCI one.

The base is Debian's ``/usr/share/containers/seccomp.json`` (package
golang-github-containers-common, Podman's allowlist in Docker's format), read at run
time, not copied into portside. Rules are kept or dropped by their ``includes`` /
``excludes`` of architectures and capabilities, as Docker's loader does.

Podman's list allows some calls Docker's default profile denies (mount, unshare,
keyctl, ...). ``RESTRICTED`` puts Docker's documented effect back on top: each of those
calls is denied with EPERM unless the container has the capability Docker ties it to,
and clone may create namespaces only with CAP_SYS_ADMIN. A profile of one's own
(``--security-opt seccomp=FILE``) is applied as it is written, as Docker applies it.
"""

from __future__ import annotations

import os
from functools import lru_cache

from .. import fastjson
from ..errors import InvalidArgument

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import Any

DEFAULT_PROFILE = "/usr/share/containers/seccomp.json"

_ARCH = {"x86_64": "SCMP_ARCH_X86_64", "aarch64": "SCMP_ARCH_AARCH64"}
EPERM, ENOSYS = 1, 38
X32 = "SCMP_ARCH_X32"
_X32_GETPID = 0x40000000 | 39  # __X32_SYSCALL_BIT | __NR_getpid
# clone flags that create namespaces: NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET
CLONE_NAMESPACE_FLAGS = 0x7E020000

# Syscalls Docker's default profile denies, with the capability that allows them again
# (None: denied whatever the capabilities).
RESTRICTED: dict[str, str | None] = {
    **dict.fromkeys(
        (
            "mount",
            "umount",
            "umount2",
            "unshare",
            "setns",
            "pivot_root",
            "swapon",
            "swapoff",
            "name_to_handle_at",
            "fanotify_init",
            "lookup_dcookie",
            "perf_event_open",
            "quotactl",
            "bpf",
            "setdomainname",
            "sethostname",
        ),
        "CAP_SYS_ADMIN",
    ),
    **dict.fromkeys(("init_module", "finit_module", "delete_module"), "CAP_SYS_MODULE"),
    **dict.fromkeys(("kcmp", "process_vm_readv", "process_vm_writev"), "CAP_SYS_PTRACE"),
    **dict.fromkeys(("settimeofday", "stime", "clock_settime", "clock_adjtime"), "CAP_SYS_TIME"),
    **dict.fromkeys(("iopl", "ioperm"), "CAP_SYS_RAWIO"),
    **dict.fromkeys(("get_mempolicy", "set_mempolicy", "mbind", "move_pages"), "CAP_SYS_NICE"),
    "reboot": "CAP_SYS_BOOT",
    "acct": "CAP_SYS_PACCT",
    "vhangup": "CAP_SYS_TTY_CONFIG",
    "syslog": "CAP_SYSLOG",
    "open_by_handle_at": "CAP_DAC_READ_SEARCH",
    **dict.fromkeys(
        (
            "keyctl",
            "add_key",
            "request_key",
            "kexec_load",
            "kexec_file_load",
            "nfsservctl",
            "uselib",
            "ustat",
            "sysfs",
            "_sysctl",
            "vm86",
            "vm86old",
            "create_module",
            "get_kernel_syms",
            "query_module",
            "userfaultfd",
        ),
        None,
    ),
}


def _applies(rule: dict[str, Any], arch: str, caps: frozenset[str]) -> bool:
    inc = rule.get("includes") or {}
    exc = rule.get("excludes") or {}
    if inc.get("arches") and arch not in inc["arches"]:
        return False
    if inc.get("caps") and not set(inc["caps"]) <= caps:
        return False
    if exc.get("arches") and arch in exc["arches"]:
        return False
    if exc.get("caps") and set(exc["caps"]) & caps:
        return False
    return True


def convert(
    profile: dict[str, Any], capabilities: frozenset[str], restrict: bool = True
) -> dict[str, Any]:
    """``profile`` in OCI form for a container with ``capabilities``; ``restrict`` puts
    ``RESTRICTED`` on top (for the default profile only: one's own is applied as given)."""
    machine = os.uname().machine
    arch_name = {"x86_64": "amd64", "aarch64": "arm64"}.get(machine, machine)
    scmp_arch = _ARCH.get(machine, "")
    arches: list[str] = []
    for entry in profile.get("archMap") or []:
        if entry.get("architecture") == scmp_arch:
            arches = [entry["architecture"], *entry.get("subArchitectures", [])]
    if restrict and X32 in arches and not kernel_runs_x32():  # the default profile's
        arches.remove(X32)
    syscalls = []
    for rule in profile.get("syscalls") or []:
        if not _applies(rule, arch_name, capabilities):
            continue
        names = rule.get("names") or ([rule["name"]] if rule.get("name") else [])
        out: dict[str, Any] = {"names": names, "action": rule["action"]}
        if rule.get("args"):
            out["args"] = [
                {k: v for k, v in a.items() if k in ("index", "value", "valueTwo", "op")}
                for a in rule["args"]
            ]
        if rule.get("errnoRet") is not None:
            out["errnoRet"] = rule["errnoRet"]
        syscalls.append(out)
    if restrict:
        syscalls = _restrict(syscalls, capabilities)
    result: dict[str, Any] = {
        "defaultAction": profile["defaultAction"],
        "architectures": arches,
        "syscalls": syscalls,
    }
    if profile.get("defaultErrnoRet") is not None:
        result["defaultErrnoRet"] = profile["defaultErrnoRet"]
    return result


def kernel_runs_x32() -> bool:
    """Whether this kernel takes x32 system calls (CONFIG_X86_X32_ABI, not switched off
    at boot). Where it does not, no x32 program can start, so the filter's x32 part
    guards nothing; left out, runc compiles the default profile about 10 ms faster,
    a quarter of ``runc create`` here (docs/containers.md).

    The probe is an x32 ``getpid``, answered ENOSYS by a kernel without the ABI. It is
    made only where no seccomp filter of this process's own could kill it for an
    unknown architecture; under one, the answer is yes and the filter stays whole."""
    if os.uname().machine != "x86_64" or not _unfiltered():
        return True
    from ..libc import errno, libc

    return libc().syscall(_X32_GETPID) >= 0 or errno() != ENOSYS


def _unfiltered() -> bool:
    try:
        with open("/proc/self/status", "rb") as f:
            status = f.read()
    except OSError:
        return False
    return b"\nSeccomp:\t0\n" in status


def _restrict(syscalls: list[dict[str, Any]], caps: frozenset[str]) -> list[dict[str, Any]]:
    denied = {name for name, cap in RESTRICTED.items() if cap is None or cap not in caps}
    if "CAP_SYS_ADMIN" not in caps:
        denied.add("clone")
    out = []
    for rule in syscalls:
        if rule["action"] == "SCMP_ACT_ALLOW":
            names = [n for n in rule["names"] if n not in denied]
            if not names:
                continue
            rule = {**rule, "names": names}
        out.append(rule)
    if "CAP_SYS_ADMIN" not in caps:
        out.append(
            {
                "names": ["clone"],
                "action": "SCMP_ACT_ALLOW",
                "args": [
                    {
                        "index": 0,
                        "value": CLONE_NAMESPACE_FLAGS,
                        "valueTwo": 0,
                        "op": "SCMP_CMP_MASKED_EQ",
                    }
                ],
            }
        )
        # clone3 hides its flags in memory seccomp cannot read: ENOSYS makes libc use clone
        out.append({"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": ENOSYS})
        denied.discard("clone")
    out.append({"names": sorted(denied), "action": "SCMP_ACT_ERRNO", "errnoRet": EPERM})
    return out


@lru_cache(maxsize=4)
def _load(path: str) -> dict[str, Any]:
    try:
        with open(path) as f:
            text = f.read()
    except FileNotFoundError:
        raise InvalidArgument(
            f"opening seccomp profile ({path}) failed: no such file or directory"
        ) from None
    try:
        value = fastjson.loads(text)
    except ValueError as e:  # json.JSONDecodeError
        raise InvalidArgument(f"decoding seccomp profile failed: {e}") from None
    if not isinstance(value, dict) or "defaultAction" not in value:
        raise InvalidArgument(f"decoding seccomp profile failed: {path} has no defaultAction")
    return value


def profile_for(capabilities: tuple[str, ...], path: str | None = None) -> dict[str, Any] | None:
    """The OCI seccomp section: the default profile, or the one at ``path`` as it is;
    None when no default profile is installed."""
    if path is not None:
        return convert(_load(path), frozenset(capabilities), restrict=False)
    if not os.path.exists(DEFAULT_PROFILE):
        return None
    return convert(_load(DEFAULT_PROFILE), frozenset(capabilities))
