"""The engines a benchmark compares: portside, and Docker and Podman when installed.

Each gets its own throwaway store under one short temporary folder; Docker's daemon is
started on its own socket and data root (PLATFORM.md §7) and stopped by PID at the end
(tests/engines.py, shared with the interop tests).
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.engines import Dockerd, podman_argv  # noqa: E402

__all__ = ["REPO", "Dockerd", "Engine", "HostNetworkGuard", "docker", "podman", "portside"]


@dataclass
class Engine:
    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)

    def cmd(self, *args: str) -> list[str]:
        return [*self.argv, *args]

    def run(
        self, *args: str, check: bool = True, stdin: bytes | None = None
    ) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            self.cmd(*args),
            env={**os.environ, **self.env},
            input=stdin,
            capture_output=True,
            check=check,
            timeout=600,
        )


def portside(work: Path) -> Engine:
    exe = REPO / ".venv/bin/portside"
    return Engine(
        "portside",
        [str(exe), "--root", str(work / "portside"), "--runroot", str(work / "portside-run")],
    )


# PLATFORM.md §7: podman needs these here (no CAP_SYS_RESOURCE, hybrid cgroups, no
# systemd); a private file through CONTAINERS_CONF, the machine's own left alone
PODMAN_CONF = """[containers]
default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
"""


def podman(work: Path) -> Engine | None:
    argv = podman_argv(work)
    if argv is None:
        return None
    conf = work / "containers.conf"
    conf.write_text(PODMAN_CONF)
    return Engine("podman", argv, {"CONTAINERS_CONF": str(conf)})


class HostNetworkGuard:
    """Puts back the firewall and links as they were: Podman's default network
    (netavark) adds iptables chains and a podman0 bridge and leaves the chains behind."""

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
        proc = subprocess.run(["iptables", "-t", table, "-S"], capture_output=True, text=True)
        return proc.stdout.splitlines() if proc.returncode == 0 else []

    def restore(self) -> None:
        for table in self.TABLES:
            before = set(self.rules[table])
            added = [r for r in self._rules(table) if r not in before]
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
        # iptables-nft leaves its tables (builtin chains, no rules) once it has run:
        # the ones it made, left empty, go too
        for line in sorted(self._nft_tables() - self.nft_tables):
            family_table = line.removeprefix("table ").split()
            listing = subprocess.run(
                ["nft", "list", "table", *family_table], capture_output=True, text=True
            ).stdout
            body = [ln.strip() for ln in listing.splitlines()]
            rules = [ln for ln in body if ln and not ln.startswith(("table", "chain", "type", "}"))]
            if not rules:
                subprocess.run(["nft", "delete", "table", *family_table], capture_output=True)
        for link in set(os.listdir("/sys/class/net")) - self.links:
            if link.startswith(("podman", "veth", "docker")):
                subprocess.run(["ip", "link", "del", link], capture_output=True)


def docker(daemon: Dockerd) -> Engine | None:
    if not Dockerd.installed():
        return None
    try:
        argv = daemon.start()
    except RuntimeError as e:
        print(f"bench: {e}", file=sys.stderr)
        return None
    return Engine("docker", argv)
