"""The host's platform in OCI's words, without ``platform`` (2 ms of import) or the
archive readers: ``version`` asks for it on every call."""

from __future__ import annotations

import os

_ARCH = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "i686": "386"}


def host_platform() -> tuple[str, str]:
    machine = os.uname().machine.lower()  # what platform.machine() reads
    return "linux", _ARCH.get(machine, machine)
