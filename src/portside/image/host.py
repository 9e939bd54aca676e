"""The host's platform in OCI's words, without ``platform`` (2 ms of import) or the
archive readers: ``version`` asks for it on every call."""

from __future__ import annotations

import os

_ARCH = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "armv6l": "arm", "i686": "386"}


def host_platform() -> tuple[str, str]:
    machine = os.uname().machine.lower()  # what platform.machine() reads
    return "linux", _ARCH.get(machine, machine)


def host_variant() -> str:
    """The host's CPU variant as containerd normalises it: ``v7`` for 32-bit ARM (an
    arm64 host's ``v8`` is dropped, as containerd's Normalize drops it), else none."""
    machine = os.uname().machine.lower()
    return {"armv7l": "v7", "armv6l": "v6"}.get(machine, "")


def parse_platform(text: str) -> tuple[str, str, str]:
    """``linux/arm64/v8`` -> ("linux", "arm64", "v8"); ``linux/amd64`` -> variant ""."""
    from ..errors import InvalidArgument

    parts = text.lower().split("/")
    if len(parts) not in (2, 3) or not all(parts):
        raise InvalidArgument(f'invalid platform "{text}": os/arch[/variant], e.g. linux/arm64')
    return parts[0], parts[1], parts[2] if len(parts) == 3 else ""
