"""/etc/hosts, /etc/hostname and /etc/resolv.conf for a container, as Docker writes them
(bind-mounted from the container's folder, so the image stays untouched)."""

from __future__ import annotations

import os

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from collections.abc import Sequence

    from _typeshed import StrPath

_HOSTS = (
    "127.0.0.1\tlocalhost\n"
    "::1\tlocalhost ip6-localhost ip6-loopback\n"
    "fe00::0\tip6-localnet\n"
    "ff00::0\tip6-mcastprefix\n"
    "ff02::1\tip6-allnodes\n"
    "ff02::2\tip6-allrouters\n"
)


def _read(path: str) -> str:
    with open(path) as f:
        return f.read()


def _resolv_conf() -> str:
    try:
        text = _read("/etc/resolv.conf")
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


def hosts_text(
    hostname: str,
    ip: str = "",
    peers: Sequence[tuple[str, str]] = (),
    extra: Sequence[str] = (),
) -> str:
    """A container's /etc/hosts, in Docker's order: loopback names, ``--add-host``
    entries (``name:ip``, resolved), its hostname at ``ip``, then ``peers`` (address,
    name) of a user-defined network, by which its neighbours are found."""
    own = f"{ip}\t{hostname}\n" if ip else ""
    return _HOSTS + _added_hosts(extra) + own + "".join(f"{a}\t{n}\n" for a, n in peers)


def with_gateway(entries: Sequence[str], gateway: str) -> list[str]:
    """``--add-host NAME:host-gateway`` entries made ``NAME:GATEWAY``."""
    return [
        e.rpartition(":")[0] + ":" + gateway if e.endswith(":host-gateway") else e for e in entries
    ]


def _added_hosts(extra: Sequence[str]) -> str:
    """``--add-host`` entries (``name:ip``) as hosts lines."""
    return "".join(f"{e.partition(':')[2]}\t{e.partition(':')[0]}\n" for e in extra)


def resolv_text(dns: Sequence[str] = (), search: Sequence[str] = ()) -> str:
    """resolv.conf: the host's (without loopback resolvers); ``--dns`` servers replace
    its nameservers and ``--dns-search`` domains its search line, as in Docker."""
    lines = _resolv_conf().splitlines()
    if search:
        lines = [x for x in lines if not x.startswith(("search", "domain"))]
        lines.insert(0, f"search {' '.join(search)}")
    if dns:
        lines = [x for x in lines if not x.startswith("nameserver")]
        lines += [f"nameserver {d}" for d in dns]
    return "\n".join(lines) + "\n"


def rewrite_in_place(path: str, text: str) -> None:
    """Change a file a running container has bind-mounted: the mount holds the inode,
    so the bytes change where they are (a rename would not be seen inside)."""
    with open(path, "r+") as f:
        f.write(text)
        f.truncate()


HOST_FILES = ("hosts", "hostname", "resolv.conf")  # in the bundle, bound at /etc/NAME


def write_host_files(
    bundle: StrPath,
    hostname: str,
    host_network: bool,
    ip: str = "",
    extra: Sequence[str] = (),
    dns: Sequence[str] = (),
    search: Sequence[str] = (),
) -> list[tuple[str, str]]:
    """The three files, as (path, where the container sees it) to bind; ``ip``, the
    container's address on its network, names it by its hostname in /etc/hosts, as
    Docker's does."""
    if host_network:
        hosts = _read("/etc/hosts") if os.path.exists("/etc/hosts") else _HOSTS
        hosts += _added_hosts(extra)
        hostname = os.uname().nodename  # gethostname(2), without importing socket
        resolv = _read("/etc/resolv.conf") if os.path.exists("/etc/resolv.conf") else ""
        if dns or search:
            resolv = resolv_text(dns, search)
    else:
        hosts, resolv = hosts_text(hostname, ip, extra=extra), resolv_text(dns, search)
    binds = []
    for name, content in zip(HOST_FILES, (hosts, hostname + "\n", resolv), strict=True):
        path = os.path.join(bundle, name)
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            f.write(content)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
        binds.append((path, f"/etc/{name}"))
    return binds
