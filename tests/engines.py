"""The reference engines, run privately: a dockerd on its own socket and data root, and
podman with its own --root. Used by the interop tests and by bench/.

Both need short paths (podman's runroot under 50 characters, containerd's socket under
108), so callers give them a folder made with ``short_dir()``.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path


def short_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="ps-", dir="/tmp"))


def podman_argv(work: Path) -> list[str] | None:
    exe = shutil.which("podman")
    if exe is None:
        return None
    return [
        exe,
        "--root",
        str(work / "podman"),
        "--runroot",
        str(work / "podman-run"),
        "--storage-driver",
        "overlay",
        "--events-backend",
        "file",
        "--cgroup-manager",
        "cgroupfs",
    ]


def podman_cleanup(work: Path) -> None:
    argv = podman_argv(work)
    if argv is not None:
        subprocess.run([*argv, "rmi", "-a", "-f"], capture_output=True)
    subprocess.run(["umount", "-R", str(work / "podman" / "overlay")], capture_output=True)


class HostNetworkGuard:
    """Puts back the firewall and links as they were: Podman's default network
    (netavark) and a dockerd with its iptables rules add chains, rules and bridges and
    leave the chains behind. Only what was added since it was made is removed."""

    TABLES = ("filter", "nat")

    def __init__(self) -> None:
        self.nft_tables = self._nft_tables()  # before iptables-nft makes any
        self.rules = {t: self._rules(t) for t in self.TABLES}
        self.links = set(os.listdir("/sys/class/net"))

    @staticmethod
    def _nft_tables() -> set[str]:
        proc = subprocess.run(["nft", "list", "tables"], capture_output=True, text=True)
        return set(proc.stdout.splitlines()) if proc.returncode == 0 else set()

    @staticmethod
    def _rules(table: str) -> list[str]:
        if shutil.which("iptables") is None:
            return []
        proc = subprocess.run(["iptables", "-t", table, "-S"], capture_output=True, text=True)
        return proc.stdout.splitlines() if proc.returncode == 0 else []

    def restore(self) -> None:
        for table in self.TABLES:
            before = set(self.rules[table])
            now = self._rules(table)
            added = [r for r in now if r not in before]
            for rule in added:
                if rule.startswith("-A "):
                    subprocess.run(["iptables", "-t", table, "-D", *shlex.split(rule[3:])])
            for rule in added:
                if rule.startswith("-N "):
                    chain = rule[3:].strip()
                    subprocess.run(["iptables", "-t", table, "-F", chain])
            for rule in added:
                if rule.startswith("-N "):
                    subprocess.run(["iptables", "-t", table, "-X", rule[3:].strip()])
            for rule in added:  # a policy changed (a dockerd's FORWARD DROP): as it was
                if rule.startswith("-P "):
                    chain = rule.split()[1]
                    old = [b for b in before if b.startswith(f"-P {chain} ")]
                    if old:
                        subprocess.run(["iptables", "-t", table, *old[0].split()])
        self.drop_empty_tables()
        for link in set(os.listdir("/sys/class/net")) - self.links:
            if link.startswith(("podman", "veth", "docker", DOCKERD_BRIDGE)):
                subprocess.run(["ip", "link", "del", link], capture_output=True)

    def drop_empty_tables(self) -> None:
        """iptables-nft leaves its tables (builtin chains, no rules) once it has run:
        the ones made since, left empty, go."""
        for line in sorted(self._nft_tables() - self.nft_tables):
            family_table = line.removeprefix("table ").split()
            listing = subprocess.run(
                ["nft", "list", "table", *family_table], capture_output=True, text=True
            ).stdout
            body = [ln.strip() for ln in listing.splitlines()]
            rules = [ln for ln in body if ln and not ln.startswith(("table", "chain", "type", "}"))]
            if not rules and "policy drop" not in listing:
                subprocess.run(["nft", "delete", "table", *family_table], capture_output=True)


# The private dockerd's default bridge: a name of its own, so it never takes, nor
# deletes, a docker0 that the machine's own Docker owns (dockerd needs a bridge that is
# not docker0 made beforehand, with its address).
DOCKERD_BRIDGE = "psdock0"
DOCKERD_SUBNETS = ("172.29.253.1/24", "172.29.252.1/24", "10.252.253.1/24")


def _free_gateway() -> str:
    import ipaddress

    from portside.network.links import host_routes

    taken = [ipaddress.ip_network(r) for r in host_routes()]
    for candidate in DOCKERD_SUBNETS:
        net = ipaddress.ip_interface(candidate).network
        if not any(net.overlaps(t) for t in taken):
            return candidate
    raise RuntimeError("no free subnet for the private dockerd's bridge")


class Dockerd:
    """A private dockerd on its own socket, data root and, with ``bridge``, a default
    bridge of its own (``psdock0``) made here and deleted by ``stop``; ``start`` returns
    the client argv. With ``iptables`` it runs as a user's does, its iptables rules on
    and the ``FORWARD`` policy ``DROP`` (what dockerd sets on a host that booted with
    forwarding off); ``stop`` puts the firewall back as it found it."""

    def __init__(self, work: Path, bridge: bool = False, iptables: bool = False) -> None:
        self.work = work
        self.iptables = iptables
        self.bridge = bridge or iptables
        self.guard: HostNetworkGuard | None = None
        self.proc: subprocess.Popen[bytes] | None = None

    @staticmethod
    def client() -> str:
        """The client packaged with this dockerd when there is one: it speaks BuildKit
        without the buildx plugin, which a newer client on PATH may lack."""
        return "/usr/bin/docker" if Path("/usr/bin/docker").exists() else "docker"

    @staticmethod
    def installed() -> bool:
        return shutil.which("dockerd") is not None and shutil.which("docker") is not None

    def start(self) -> list[str]:
        sock = self.work / "docker.sock"
        if self.iptables:
            self.guard = HostNetworkGuard()
        if self.bridge:
            if Path("/sys/class/net", DOCKERD_BRIDGE).exists():
                raise RuntimeError(f"{DOCKERD_BRIDGE} exists: another private dockerd runs")
            gateway = _free_gateway()
            subprocess.run(
                ["ip", "-batch", "-"],
                input=f"link add {DOCKERD_BRIDGE} type bridge\n"
                f"addr add {gateway} dev {DOCKERD_BRIDGE}\nlink set {DOCKERD_BRIDGE} up\n",
                text=True,
                check=True,
            )
        network = ["--bridge", DOCKERD_BRIDGE if self.bridge else "none"]
        if not self.iptables:
            network += ["--iptables=false", "--ip-masq=false"]
        with open(self.work / "dockerd.log", "wb") as log:
            self.proc = subprocess.Popen(
                [
                    "dockerd",
                    "--host",
                    f"unix://{sock}",
                    "--data-root",
                    str(self.work / "docker"),
                    "--exec-root",
                    str(self.work / "docker-exec"),
                    "--pidfile",
                    str(self.work / "dockerd.pid"),
                    *network,
                ],
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        argv = [self.client(), "--host", f"unix://{sock}"]
        for _ in range(300):
            if subprocess.run([*argv, "version"], capture_output=True).returncode == 0:
                if self.iptables:
                    subprocess.run(["iptables", "-P", "FORWARD", "DROP"], check=True)
                return argv
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        self.stop()
        log_tail = (self.work / "dockerd.log").read_text(errors="replace")[-500:]
        raise RuntimeError(f"dockerd did not start: {log_tail}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        subprocess.run(["umount", "-R", str(self.work / "docker")], capture_output=True)
        if self.guard is not None:
            self.guard.restore()
            self.guard = None
        if self.bridge:  # the one made in start
            subprocess.run(["ip", "link", "del", DOCKERD_BRIDGE], capture_output=True)
