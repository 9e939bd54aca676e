"""Resource limits: ``-m/--memory``, ``--memory-swap``, ``--cpus``, ``--cpu-shares``,
``--cpuset-cpus``, ``--pids-limit``, ``--ulimit`` and ``--shm-size`` as Docker's
HostConfig fields, checked with Docker's words, and the OCI ``linux.resources`` and
``process.rlimits`` runc applies from them (also on ``update``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from ..errors import InvalidArgument
from ..records import dataclass
from ..units import parse_bytes

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import Any

MIN_MEMORY = 6 * 1024 * 1024  # Docker's floor
DEFAULT_SHM = 64 * 1024 * 1024
CPU_PERIOD = 100_000  # µs, as Docker's --cpus uses
ULIMITS = {
    "as": "RLIMIT_AS",
    "core": "RLIMIT_CORE",
    "cpu": "RLIMIT_CPU",
    "data": "RLIMIT_DATA",
    "fsize": "RLIMIT_FSIZE",
    "locks": "RLIMIT_LOCKS",
    "memlock": "RLIMIT_MEMLOCK",
    "msgqueue": "RLIMIT_MSGQUEUE",
    "nice": "RLIMIT_NICE",
    "nofile": "RLIMIT_NOFILE",
    "nproc": "RLIMIT_NPROC",
    "rss": "RLIMIT_RSS",
    "rtprio": "RLIMIT_RTPRIO",
    "rttime": "RLIMIT_RTTIME",
    "sigpending": "RLIMIT_SIGPENDING",
    "stack": "RLIMIT_STACK",
}


@dataclass(frozen=True)
class Ulimit:
    """``--ulimit nofile=1024:2048`` (docker-py's ``Ulimit``)."""

    name: str
    soft: int
    hard: int

    def __post_init__(self) -> None:
        if self.name not in ULIMITS:
            raise InvalidArgument(f"invalid ulimit type: {self.name}")
        if self.soft > self.hard:
            raise InvalidArgument(
                "ulimit soft limit must be less than or equal to hard limit: "
                f"{self.soft} > {self.hard}"
            )

    @classmethod
    def parse(cls, text: str) -> Ulimit:
        """``NAME=SOFT[:HARD]``."""
        name, eq, values = text.partition("=")
        if name not in ULIMITS:
            raise InvalidArgument(
                f'invalid argument "{text}" for "--ulimit" flag: invalid ulimit type: {name}'
            )
        soft_text, _, hard_text = values.partition(":")
        try:
            soft = int(soft_text)
            hard = int(hard_text) if hard_text else soft
        except ValueError:
            raise InvalidArgument(
                f'invalid argument "{text}" for "--ulimit" flag: invalid ulimit argument: {values}'
            ) from None
        if not eq:
            raise InvalidArgument(
                f'invalid argument "{text}" for "--ulimit" flag: invalid ulimit argument: {text}'
            )
        return cls(name, soft, hard)

    def to_json(self) -> dict[str, Any]:
        return {"Name": self.name, "Soft": self.soft, "Hard": self.hard}


@dataclass(frozen=True)
class Limits:
    """The limits asked for (None or "": not given), in Docker's units: bytes, and CPUs
    in billionths."""

    memory: int | None = None
    memory_swap: int | None = None  # memory plus swap; -1: unlimited swap
    nano_cpus: int | None = None
    cpu_shares: int | None = None
    cpuset_cpus: str = ""
    pids_limit: int | None = None
    ulimits: tuple[Ulimit, ...] = ()
    shm_size: int | None = None

    def given(self) -> bool:
        return self != Limits()

    @classmethod
    def parse(
        cls,
        memory: str = "",
        memory_swap: str = "",
        cpus: str = "",
        cpu_shares: int | None = None,
        cpuset_cpus: str = "",
        pids_limit: int | None = None,
        ulimits: Sequence[str] = (),
        shm_size: str = "",
    ) -> Limits:
        """The flags' values as given (``-m 512m``, ``--cpus 1.5``, ``--ulimit …``)."""
        swap = None
        if memory_swap:
            swap = -1 if memory_swap == "-1" else size("--memory-swap", memory_swap)
        return cls(
            memory=size("-m, --memory", memory) if memory else None,
            memory_swap=swap,
            nano_cpus=_nano_cpus(cpus) if cpus else None,
            cpu_shares=cpu_shares,
            cpuset_cpus=cpuset_cpus,
            pids_limit=pids_limit,
            ulimits=tuple(Ulimit.parse(u) for u in ulimits),
            shm_size=size("--shm-size", shm_size) if shm_size else None,
        )


def host_config_fields(limits: Limits, current: dict[str, Any] | None = None) -> dict[str, Any]:
    """Docker's HostConfig fields for ``limits`` (over ``current`` ones, for
    ``update``); InvalidArgument with Docker's words for an impossible value."""
    now = current or {}
    out: dict[str, Any] = {}
    memory = limits.memory if limits.memory is not None else now.get("Memory", 0)
    if memory and memory < MIN_MEMORY:
        raise InvalidArgument("Minimum memory limit allowed is 6MB")
    swap = now.get("MemorySwap", 0) if limits.memory_swap is None else limits.memory_swap
    if limits.memory_swap is not None and not memory:
        raise InvalidArgument(
            "You should always set the Memory limit when using Memoryswap limit, see usage"
        )
    if limits.memory is not None and limits.memory_swap is None and (not swap or swap < memory):
        swap = memory * 2  # Docker's default: as much swap as memory
    if swap > 0 and swap < memory:
        raise InvalidArgument(
            "Minimum memoryswap limit should be larger than memory limit, see usage"
        )
    out["Memory"], out["MemorySwap"] = memory, swap
    if limits.nano_cpus is not None:
        _check_nano_cpus(limits.nano_cpus)
    out["NanoCpus"] = limits.nano_cpus if limits.nano_cpus is not None else now.get("NanoCpus", 0)
    shares = limits.cpu_shares if limits.cpu_shares is not None else now.get("CpuShares", 0)
    if shares < 0:
        raise InvalidArgument(f"invalid CPU shares: {shares}")
    out["CpuShares"] = shares
    cpuset = limits.cpuset_cpus or now.get("CpusetCpus", "")
    if limits.cpuset_cpus:
        _check_cpuset(cpuset)
    out["CpusetCpus"] = cpuset
    pids = limits.pids_limit if limits.pids_limit is not None else now.get("PidsLimit")
    out["PidsLimit"] = pids if pids and pids > 0 else None
    if limits.ulimits:
        out["Ulimits"] = [u.to_json() for u in limits.ulimits]
    else:
        out["Ulimits"] = now.get("Ulimits")
    if limits.shm_size is not None:
        out["ShmSize"] = limits.shm_size
        if out["ShmSize"] <= 0:
            raise InvalidArgument("SHM size can not be less than 0")
    else:
        out["ShmSize"] = now.get("ShmSize", DEFAULT_SHM)
    _refuse_rootless(out)
    return out


_FLAGS = {  # linux.resources' keys -> the flags that ask for them
    "memory": "--memory",
    "quota": "--cpus",
    "shares": "--cpu-shares",
    "cpus": "--cpuset-cpus",
    "pids": "--pids-limit",
}


def _refuse_rootless(host: dict[str, Any]) -> None:
    """An ordinary user's containers get no cgroup of their own (userns.py): a limit
    would silently not hold, so it is refused, naming the flags."""
    wanted = oci_resources(host)
    if wanted:
        from ..userns import refuse_without_cgroups

        flags = [_FLAGS[k] for k in (*wanted, *wanted.get("cpu", ())) if k in _FLAGS]
        refuse_without_cgroups(f"{', '.join(flags)}: rootless containers cannot have limits")


def oci_resources(host: dict[str, Any]) -> dict[str, Any]:
    """``linux.resources`` (devices aside) for runc from HostConfig."""
    out: dict[str, Any] = {}
    memory = host.get("Memory") or 0
    if memory:
        swap = host.get("MemorySwap") or 0
        out["memory"] = {"limit": memory, "swap": swap if swap else memory * 2}
    cpu: dict[str, Any] = {}
    if host.get("NanoCpus"):
        cpu["quota"], cpu["period"] = host["NanoCpus"] * CPU_PERIOD // 10**9, CPU_PERIOD
    if host.get("CpuShares"):
        cpu["shares"] = host["CpuShares"]
    if host.get("CpusetCpus"):
        cpu["cpus"] = host["CpusetCpus"]
    if cpu:
        out["cpu"] = cpu
    if host.get("PidsLimit"):
        out["pids"] = {"limit": host["PidsLimit"]}
    return out


def update_argv(host: dict[str, Any]) -> list[str]:
    """``runc update`` flags for the limits a running container can change."""
    resources = oci_resources(host)
    argv = []
    if "memory" in resources:
        argv += ["--memory", str(resources["memory"]["limit"])]
        argv += ["--memory-swap", str(resources["memory"]["swap"])]
    cpu = resources.get("cpu", {})
    if "quota" in cpu:
        argv += ["--cpu-period", str(cpu["period"]), "--cpu-quota", str(cpu["quota"])]
    if "shares" in cpu:
        argv += ["--cpu-share", str(cpu["shares"])]
    if "cpus" in cpu:
        argv += ["--cpuset-cpus", cpu["cpus"]]
    if "pids" in resources:
        argv += ["--pids-limit", str(resources["pids"]["limit"])]
    return argv


def rlimits(
    host: dict[str, Any], defaults: dict[str, tuple[int, int]] | None = None
) -> list[dict[str, Any]]:
    """The container's ``--ulimit`` values, then the configuration's ``default-ulimits``
    for the names it did not give (Docker's daemon merges them so)."""
    given = {u["Name"]: (u["Soft"], u["Hard"]) for u in host.get("Ulimits") or []}
    merged = {**(defaults or {}), **given}
    return [
        {"type": ULIMITS[name], "soft": soft, "hard": hard} for name, (soft, hard) in merged.items()
    ]


def size(flag: str, text: str) -> int:
    """A size flag's value (``512m``) in bytes; Docker's words, naming ``flag``, if not."""
    try:
        return parse_bytes(text)
    except ValueError:
        raise InvalidArgument(
            f'invalid argument "{text}" for "{flag}" flag: invalid size: \'{text}\''
        ) from None


def _cpu_count() -> int:
    return len(os.sched_getaffinity(0)) or os.cpu_count() or 1


def _nano_cpus(text: str) -> int:
    try:
        value = float(text)
    except ValueError:
        raise InvalidArgument(
            f'invalid argument "{text}" for "--cpus" flag: failed to parse {text} as a rational '
            "number"
        ) from None
    return int(round(value * 1e9))


def _check_nano_cpus(nano: int) -> None:
    count = _cpu_count()
    if nano < 10**7 or nano > count * 10**9:
        raise InvalidArgument(
            f"Range of CPUs is from 0.01 to {count}.00, as there are only {count} CPUs available"
        )


def _check_cpuset(text: str) -> None:
    available = sorted(os.sched_getaffinity(0))
    wanted: set[int] = set()
    try:
        for part in text.split(","):
            low, _, high = part.partition("-")
            wanted.update(range(int(low), int(high or low) + 1))
    except ValueError:
        raise InvalidArgument(f"Invalid value {text} for cpuset cpus") from None
    if not wanted <= set(available):
        shown = f"{available[0]}-{available[-1]}" if len(available) > 1 else str(available[0])
        raise InvalidArgument(
            f"Requested CPUs are not available - requested {text}, available: {shown}"
        )
