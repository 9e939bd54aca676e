"""The default seccomp profile's architectures: the native one and the 32-bit one always,
x32 only where the kernel takes x32 system calls (runtime/seccomp.py)."""

from __future__ import annotations

import os

import pytest

from portside.runtime import seccomp

pytestmark = pytest.mark.skipif(
    os.uname().machine != "x86_64" or not os.path.exists(seccomp.DEFAULT_PROFILE),
    reason="the x86_64 profile of golang-github-containers-common",
)


def _kernel_has_x32_code() -> bool:
    """The kernel's symbols name its x32 entry (``x32_sys_call``, or the older
    ``x32_sys_call_table``) only when it was built with CONFIG_X86_X32_ABI."""
    with open("/proc/kallsyms") as f:
        return any(line.rstrip().endswith((" x32_sys_call", " x32_sys_call_table")) for line in f)


def test_x32_is_left_out_exactly_where_the_kernel_cannot_run_it() -> None:
    arches = seccomp.profile_for(("CAP_CHOWN",))["architectures"]  # type: ignore[index]
    assert arches[:2] == ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"]
    runs_x32 = seccomp.kernel_runs_x32()
    assert ("SCMP_ARCH_X32" in arches) == runs_x32
    if not _kernel_has_x32_code():
        assert not runs_x32  # built without it: the probe must have seen ENOSYS


def test_a_profile_of_ones_own_keeps_every_architecture_it_names(
    tmp_path: os.PathLike[str],
) -> None:
    path = os.path.join(tmp_path, "own.json")
    with open(path, "w") as f:
        f.write(
            '{"defaultAction": "SCMP_ACT_ALLOW", "archMap": [{"architecture": '
            '"SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]}]}'
        )
    arches = seccomp.profile_for((), path)["architectures"]  # type: ignore[index]
    assert arches == ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]  # as written
