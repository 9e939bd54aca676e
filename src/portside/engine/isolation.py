"""Namespace and device flags: ``--ipc``, ``--pid``, ``--uts``, ``--userns``,
``--device`` and ``--group-add``, as Docker's HostConfig fields (checked with its
words at create) and what runc needs from them at start.
"""

from __future__ import annotations

import os
import stat

from ..errors import InvalidArgument
from ..records import dataclass

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import Any


@dataclass(frozen=True)
class Device:
    """A host device given to the container (Docker's DeviceMapping)."""

    path_on_host: str
    path_in_container: str = ""  # "": where the host has it
    permissions: str = "rwm"

    def __post_init__(self) -> None:
        if not self.permissions or any(c not in "rwm" for c in self.permissions):
            raise InvalidArgument(f"invalid device mode: {self.permissions}")

    @classmethod
    def parse(cls, text: str) -> Device:
        """``--device /dev/fuse``, ``/dev/sda:/dev/xvda:r`` (docker-py's ``devices`` too)."""
        parts = text.split(":")
        if len(parts) > 3:
            raise InvalidArgument(f"invalid device specification: {text}")
        if len(parts) == 2 and not parts[1].startswith("/"):
            return cls(parts[0], "", parts[1])
        return cls(*parts)

    def to_json(self) -> dict[str, str]:
        """The mapping as HostConfig.Devices holds it; the host path must be a device."""
        host = self.path_on_host
        try:
            st = os.stat(host)
        except OSError:
            raise InvalidArgument(
                f'error gathering device information while adding custom device "{host}": no '
                "such file or directory"
            ) from None
        if not (stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode)):
            raise InvalidArgument(
                f'error gathering device information while adding custom device "{host}": not '
                "a device node"
            )
        inside = self.path_in_container or host
        return {
            "PathOnHost": host,
            "PathInContainer": inside,
            "CgroupPermissions": self.permissions,
        }


@dataclass(frozen=True)
class Isolation:
    ipc: str = ""  # private (default), shareable, none, host, container:NAME
    pid: str = ""  # "" (its own), host, container:NAME
    uts: str = ""  # "" or host
    userns: str = ""  # "" or host: no user namespace remapping here either way
    devices: tuple[Device, ...] = ()
    group_add: tuple[str, ...] = ()


def host_config_fields(i: Isolation, hostname_given: bool = False) -> dict[str, Any]:
    if i.ipc not in ("", "private", "shareable", "none", "host") and not i.ipc.startswith(
        "container:"
    ):
        raise InvalidArgument(f"invalid IPC mode: {i.ipc}")
    if i.pid not in ("", "host") and not i.pid.startswith("container:"):
        raise InvalidArgument(f"--pid: invalid PID mode: {i.pid}")
    if i.uts not in ("", "host"):
        raise InvalidArgument(f"--uts: invalid UTS mode: {i.uts}")
    if i.uts == "host" and hostname_given:
        raise InvalidArgument("Conflicting options: hostname and the UTS mode")
    if i.userns not in ("", "host"):
        raise InvalidArgument(f"--userns: invalid USER mode: {i.userns}")
    return {
        "IpcMode": i.ipc or "private",
        "PidMode": i.pid,
        "UTSMode": i.uts,
        "UsernsMode": i.userns,
        "Devices": [d.to_json() for d in i.devices],
        "GroupAdd": list(i.group_add) or None,
    }


def oci_devices(host: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The devices to make inside (``linux.devices``) and the cgroup rules allowing
    them, from HostConfig.Devices (read again from the host at each start)."""
    nodes, rules = [], []
    for d in host.get("Devices") or []:
        st = os.stat(d["PathOnHost"])
        kind = "c" if stat.S_ISCHR(st.st_mode) else "b"
        major, minor = os.major(st.st_rdev), os.minor(st.st_rdev)
        nodes.append(
            {
                "path": d["PathInContainer"],
                "type": kind,
                "major": major,
                "minor": minor,
                "fileMode": stat.S_IMODE(st.st_mode),
                "uid": st.st_uid,
                "gid": st.st_gid,
            }
        )
        rules.append(
            {
                "allow": True,
                "type": kind,
                "major": major,
                "minor": minor,
                "access": d["CgroupPermissions"],
            }
        )
    return nodes, rules


def security_options(options: list[str] | tuple[str, ...]) -> dict[str, str]:
    """``--security-opt``: no-new-privileges, seccomp=PROFILE|unconfined (apparmor= and
    label= accepted, with nothing to apply on these hosts)."""
    out: dict[str, str] = {}
    for opt in options:
        key, sep, value = opt.partition("=" if "=" in opt else ":")
        if key == "no-new-privileges":
            out[key] = "true" if not sep or value in ("true", "") else value
        elif key == "seccomp" and sep:
            out[key] = value
        elif key in ("apparmor", "label") and sep:
            pass  # no AppArmor or SELinux on these hosts: nothing to apply, as Docker's
        else:
            raise InvalidArgument(f"Invalid --security-opt: {opt!r}")
    return out
