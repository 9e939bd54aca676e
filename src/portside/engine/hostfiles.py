"""/etc/hosts, /etc/hostname and /etc/resolv.conf for a container, as Docker writes them
(bind-mounted from the container's folder, so the image stays untouched)."""

from __future__ import annotations

import os
import socket
from pathlib import Path

from ..runtime.spec import Bind

_HOSTS = (
    "127.0.0.1\tlocalhost\n"
    "::1\tlocalhost ip6-localhost ip6-loopback\n"
    "fe00::0\tip6-localnet\n"
    "ff00::0\tip6-mcastprefix\n"
    "ff02::1\tip6-allnodes\n"
    "ff02::2\tip6-allrouters\n"
)


def _resolv_conf() -> str:
    try:
        text = Path("/etc/resolv.conf").read_text()
    except OSError:
        return ""
    lines = []
    for line in text.splitlines():
        parts = line.split()
        # a resolver on the host's loopback is unreachable from the container's network
        if (
            parts[:1] == ["nameserver"]
            and len(parts) > 1
            and (parts[1].startswith("127.") or parts[1] == "::1")
        ):
            continue
        lines.append(line)
    return "\n".join(lines) + "\n"


def write_host_files(bundle: Path, hostname: str, host_network: bool, ip: str = "") -> list[Bind]:
    """The three files; ``ip``, the container's address on its network, names it by
    its hostname in /etc/hosts, as Docker's does."""
    if host_network:
        hosts = Path("/etc/hosts").read_text() if os.path.exists("/etc/hosts") else _HOSTS
        hostname = socket.gethostname()
        resolv = Path("/etc/resolv.conf").read_text() if os.path.exists("/etc/resolv.conf") else ""
    else:
        hosts, resolv = _HOSTS + (f"{ip}\t{hostname}\n" if ip else ""), _resolv_conf()
    files = {"hosts": hosts, "hostname": hostname + "\n", "resolv.conf": resolv}
    binds = []
    for name, content in files.items():
        path = bundle / name
        tmp = path.with_name(name + ".tmp")
        tmp.write_text(content)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
        binds.append(Bind(str(path), f"/etc/{name}"))
    return binds
