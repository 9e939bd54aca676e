"""Healthchecks: the ``Healthcheck`` record (from ``--health-*`` flags, docker-py's
``healthcheck=``, the Engine API's Config.Healthcheck and the image's HEALTHCHECK),
merged as Docker merges it, and ``inspect``'s State.Health.

The probes themselves run in a prober started with the container (runtime/health.py);
it writes the state files read here, and calls ``portside container health-status ID
STATUS`` only when the status changes, which records it on the container's row (for
``ps``) and a ``health_status: STATUS`` event. docs/health.md has the design.
"""

from __future__ import annotations

import os

from ..errors import InvalidArgument
from ..records import dataclass

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import Any

    from ..runtime.runc import Runtime
    from ..store.containers import ContainerRow
    from ..store.store import Store
    from .container_paths import ContainerPaths

# Docker's defaults (moby daemon/health.go) and its smallest duration (1 ms)
DEFAULT_INTERVAL = 30 * 10**9
DEFAULT_TIMEOUT = 30 * 10**9
DEFAULT_START_INTERVAL = 5 * 10**9
DEFAULT_RETRIES = 3
MINIMUM_DURATION = 10**6

STATUSES = ("starting", "healthy", "unhealthy")
NO_HEALTHCHECK = "none"  # ``ps --filter health=none``

_FIELDS = (
    ("interval", "Interval"),
    ("timeout", "Timeout"),
    ("start_period", "StartPeriod"),
    ("start_interval", "StartInterval"),
)


@dataclass(frozen=True)
class Healthcheck:
    """Docker's HealthConfig; durations in nanoseconds, 0 meaning "the default" (or the
    image's, when merged). ``test`` is ``[]`` (inherit the image's), ``["NONE"]``,
    ``["CMD", arg, …]`` or ``["CMD-SHELL", command]``."""

    test: tuple[str, ...] = ()
    interval: int = 0
    timeout: int = 0
    start_period: int = 0
    start_interval: int = 0
    retries: int = 0

    def __post_init__(self) -> None:
        # the daemon's checks, in its words (moby daemon/container.go)
        for attr, key in _FIELDS:
            value = getattr(self, attr)
            if value != 0 and value < MINIMUM_DURATION:
                raise InvalidArgument(f"{key} in Healthcheck cannot be less than 1ms")
        if self.retries < 0:
            raise InvalidArgument("Retries in Healthcheck cannot be negative")
        if self.test and self.test[0] not in ("NONE", "CMD", "CMD-SHELL"):
            raise InvalidArgument(f"unknown type of healthcheck test: {self.test[0]!r}")

    @classmethod
    def disabled(cls) -> Healthcheck:
        """``--no-healthcheck``."""
        return cls(("NONE",))

    @classmethod
    def from_flags(
        cls,
        cmd: str = "",
        interval: str = "",
        timeout: str = "",
        start_period: str = "",
        start_interval: str = "",
        retries: int = 0,
        none: bool = False,
    ) -> Healthcheck | None:
        """The CLI's ``--health-*`` and ``--no-healthcheck`` (docker/cli opts.go);
        None when none was given."""
        durations = {
            "interval": go_duration(interval, "--health-interval"),
            "timeout": go_duration(timeout, "--health-timeout"),
            "start-period": go_duration(start_period, "--health-start-period"),
            "start-interval": go_duration(start_interval, "--health-start-interval"),
        }
        given = bool(cmd) or retries != 0 or any(durations.values())
        if none:
            if given:
                raise InvalidArgument("--no-healthcheck conflicts with --health-* options")
            return cls.disabled()
        if not given:
            return None
        for flag, value in (*durations.items(), ("retries", retries)):
            if value < 0:
                raise InvalidArgument(f"--health-{flag} cannot be negative")
        return cls(
            ("CMD-SHELL", cmd) if cmd else (),
            durations["interval"],
            durations["timeout"],
            durations["start-period"],
            durations["start-interval"],
            retries,
        )

    @classmethod
    def from_json(cls, value: dict[str, Any] | None) -> Healthcheck | None:
        """Docker's JSON (Config.Healthcheck, the image's), or docker-py's dict
        (``test`` as a string or list, snake_case keys)."""
        if not value:
            return None
        if not isinstance(value, dict):
            raise InvalidArgument("healthcheck must be a mapping")

        def get(name: str, key: str) -> Any:
            return value.get(key, value.get(name))

        test = get("test", "Test") or ()
        if isinstance(test, str):
            test = ("CMD-SHELL", test)
        try:
            interval, timeout, start_period, start_interval = (
                int(get(name, key) or 0) for name, key in _FIELDS
            )
            return cls(
                tuple(str(t) for t in test),
                interval,
                timeout,
                start_period,
                start_interval,
                int(get("retries", "Retries") or 0),
            )
        except (TypeError, ValueError):
            raise InvalidArgument(f"invalid healthcheck: {value!r}") from None

    def to_json(self) -> dict[str, Any]:
        """As Docker writes it: fields that are zero are left out."""
        out: dict[str, Any] = {}
        if self.test:
            out["Test"] = list(self.test)
        for attr, key in _FIELDS:
            if getattr(self, attr):
                out[key] = getattr(self, attr)
        if self.retries:
            out["Retries"] = self.retries
        return out

    def over(self, image: Healthcheck | None) -> Healthcheck:
        """This healthcheck with what it leaves unset taken from the image's, as the
        daemon merges them (moby daemon/commit.go merge)."""
        if image is None:
            return self
        return Healthcheck(
            self.test or image.test,
            self.interval or image.interval,
            self.timeout or image.timeout,
            self.start_period or image.start_period,
            self.start_interval or image.start_interval,
            self.retries or image.retries,
        )

    @property
    def active(self) -> bool:
        """Whether probes run: a test that is not NONE."""
        return bool(self.test) and self.test[0] != "NONE"

    def argv(self, shell: list[str] | None = None) -> list[str]:
        """The probe's command: CMD's arguments, or CMD-SHELL's line under the
        container's shell (``/bin/sh -c``)."""
        if self.test[0] == "CMD-SHELL":
            return [*(shell or ["/bin/sh", "-c"]), self.test[1] if len(self.test) > 1 else ""]
        return list(self.test[1:])


def container_healthcheck(config: dict[str, Any]) -> Healthcheck | None:
    """A container's active healthcheck (from its Config), or None."""
    hc = Healthcheck.from_json(config.get("Healthcheck"))
    return hc if hc is not None and hc.active else None


def merged_json(given: Healthcheck | None, image_cfg: dict[str, Any]) -> dict[str, Any] | None:
    """Config.Healthcheck at create: the given one over the image's."""
    image = Healthcheck.from_json(image_cfg.get("Healthcheck"))
    merged = given.over(image) if given is not None else image
    return merged.to_json() if merged is not None and merged.to_json() else None


def start_prober(paths: ContainerPaths, row: ContainerRow, runtime: Runtime, pid: int) -> str:
    """At a start: the state reset to "starting" and the prober started, for a
    container with a healthcheck; returns the status for its row ("" without one)."""
    hc = container_healthcheck(row.config)
    if (hc is None or not pid) and not os.path.exists(f"{paths.health}/pid"):
        return ""  # no prober to start or stop: not even its module to load
    from ..runtime import cgroups
    from ..runtime import health as prober
    from ..runtime.bundle import read_process
    from ..timefmt import parse_rfc3339

    prober.stop(paths.health)  # a previous run's, if its end was not seen
    if hc is None or not pid:
        return ""
    process = dict(read_process(paths.bundle))  # the container's user, env, caps, seccomp
    process["args"] = hc.argv(row.config.get("Shell"))
    process["terminal"] = False
    process.pop("consoleSize", None)
    token = prober.reset(paths.health, process)
    timeout = hc.timeout or DEFAULT_TIMEOUT
    schedule = prober.ProbeSchedule(
        interval=hc.interval or DEFAULT_INTERVAL,
        timeout=timeout,
        start_period=hc.start_period,
        start_interval=hc.start_interval or DEFAULT_START_INTERVAL,
        retries=hc.retries or DEFAULT_RETRIES,
        timeout_text=go_duration_text(timeout),
    )
    from ..processes import which

    prober.launch(
        paths.health,
        row.id,
        pid,
        f"{paths.exit_dir}/{row.id}",
        cgroups.freezer_state(cgroups.of(row.id)),
        schedule,
        int(parse_rfc3339(row.started_at) * 10**9),
        which(runtime.binary) or runtime.binary,
        runtime.state_root,
        paths.health_command(),
        token,
    )
    return "starting"


def stop_prober(paths: ContainerPaths) -> None:
    if not os.path.exists(f"{paths.health}/pid"):
        return  # none was started: not even its module to load
    from ..runtime import health as prober

    prober.stop(paths.health)


def state_json(paths: ContainerPaths, row: ContainerRow) -> dict[str, Any] | None:
    """``inspect``'s State.Health: None for a container without a healthcheck, or one
    never started with it."""
    if not row.health or container_healthcheck(row.config) is None:
        return None
    from ..runtime import health as prober
    from ..timefmt import format_rfc3339_ns

    state = prober.read_state(paths.health)
    if state is None:
        return {"Status": row.health, "FailingStreak": 0, "Log": []}
    return {
        # the row's, which ps and the filters read: the prober writes its files first
        # and then reports a change, so for that moment the files are ahead of the row
        "Status": row.health,
        "FailingStreak": state.failing_streak,
        "Log": [
            {
                "Start": format_rfc3339_ns(p.start_ns),
                "End": format_rfc3339_ns(p.end_ns),
                "ExitCode": p.exit_code,
                "Output": p.output,
            }
            for p in state.log
        ],
    }


def record_status(store: Store, container_id: str, status: str) -> None:
    """The prober's report of a new status: on the row, and a ``health_status``
    event, in one transaction. A report from a run that has ended is dropped."""
    from ..store.containers import ContainerTable
    from .events import record_container

    if status not in STATUSES:
        raise InvalidArgument(f"invalid health status: {status!r}")
    table = ContainerTable(store.meta.conn)
    with store.meta.transaction():
        row = table.get(container_id)
        if row is None or row.status not in ("running", "paused") or not row.health:
            return
        table.update(container_id, health=status)
        record_container(store, row, f"health_status: {status}")


_NS = {"ns": 1, "us": 10**3, "µs": 10**3, "ms": 10**6, "s": 10**9, "m": 60 * 10**9}


def go_duration(text: str, flag: str) -> int:
    """A Go duration flag's value in nanoseconds (``0`` and negatives allowed, as Go's
    ``time.ParseDuration``); "" is 0."""
    text = text.strip()
    if text in ("", "0", "+0", "-0"):
        return 0
    import re  # only run and create have duration flags: not inspect, which reads health

    if not re.match(r"^[-+]?((\d+(\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h))+$", text):
        raise InvalidArgument(
            f'invalid argument "{text}" for "{flag}" flag: time: invalid duration "{text}"'
        )
    units = {**_NS, "h": 3600 * 10**9}
    parts = re.findall(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)", text)
    total = sum(float(n) * units[u] for n, u in parts)
    return -int(total) if text.startswith("-") else int(total)


def go_duration_text(ns: int) -> str:
    """Go's ``time.Duration.String()`` for whole units, as Docker's timeout message
    shows it: ``30s``, ``1m30s``, ``500ms``, ``1.5s``."""
    if ns < 10**9:
        for unit, size in (("ms", 10**6), ("µs", 10**3)):
            if ns >= size:
                return f"{ns / size:g}{unit}"
        return f"{ns}ns"
    hours, rest = divmod(ns, 3600 * 10**9)
    minutes, rest = divmod(rest, 60 * 10**9)
    seconds = f"{rest / 10**9:.9f}".rstrip("0").rstrip(".")
    out = f"{seconds}s"
    if hours:
        return f"{hours}h{minutes}m{out}"
    return f"{minutes}m{out}" if minutes else out
