"""What a build is asked to do beyond its Dockerfile: build args, ``--no-cache``,
``--pull``, RUN's network, the secrets (``--secret``), entitlements (``--allow``), the
target platform and SOURCE_DATE_EPOCH; built once by the engine from its options."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from ..errors import DockerfileError, InvalidArgument
from ..records import dataclass, field
from .named_contexts import NamedContext
from .platforms import Platform, check_stage

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from .instructions import BuildPlan

# RUN's networks, as BuildKit's: default (the default bridge; "bridge" names it too)
NETWORK_MODES = ("default", "bridge", "none", "host")


@dataclass(frozen=True)
class BuildSettings:
    build_args: dict[str, str | None] = field(default_factory=dict)
    no_cache: bool = False
    network: str = "default"  # one of NETWORK_MODES; a RUN's --network wins
    pull: bool = False  # pull FROM images even when the store has them
    # --secret: id -> its bytes, for RUN --mount=type=secret (never in a key or layer)
    secrets: Mapping[str, bytes] = field(default_factory=dict)
    allow: frozenset[str] = frozenset()  # --allow: "security.insecure"
    platform: Platform | None = None  # --platform (checked: the machine's); None: native
    # SOURCE_DATE_EPOCH: every time the build writes (history, created, files' times
    # in its layers, clamped) is at most this, so two builds give the same image
    epoch: int | None = None
    no_cache_filter: frozenset[str] = frozenset()  # stages (by name) that skip the cache
    add_hosts: tuple[str, ...] = ()  # --add-host NAME:IP, in RUN's /etc/hosts (and key)
    host_gateway: str = ""  # what --add-host NAME:host-gateway names (the bridge's)
    ssh: Mapping[str, str] = field(default_factory=dict)  # --ssh ID -> an agent's socket
    contexts: Mapping[str, NamedContext] = field(default_factory=dict)  # --build-context

    def now(self) -> str:
        """A new history entry's time: now, or SOURCE_DATE_EPOCH's."""
        from ..timefmt import format_rfc3339, now_rfc3339

        return now_rfc3339() if self.epoch is None else format_rfc3339(self.epoch)

    def preflight(
        self,
        build_plan: BuildPlan,
        needed: Collection[int],
        name: str,
        global_args: dict[str, str],
    ) -> None:
        """What these settings forbid in the stages ``needed``, refused before anything
        is written (BuildKit's entitlements, a FROM of another platform); ``name``: the
        Dockerfile's; ``global_args``: what a FROM line may name."""
        asks = {"security": ("insecure", "security.insecure"), "network": ("host", "network.host")}
        for stage in build_plan.stages:
            if stage.index in needed:
                check_stage(stage, global_args, name)
            for node in stage.nodes if stage.index in needed else []:
                for flag, (value, entitlement) in asks.items():
                    if node.instruction != "RUN" or node.flags.get(flag) != value:
                        continue
                    if entitlement not in self.allow:
                        raise DockerfileError(
                            name,
                            node.line,
                            f"RUN --{flag}={value} needs the build's --allow {entitlement}",
                        )


def source_date_epoch(build_args: Mapping[str, str | None]) -> int | None:
    """``--build-arg SOURCE_DATE_EPOCH=N`` (the CLI passes the variable's value as
    buildx does): seconds since 1970, or None when not given."""
    value = build_args.get("SOURCE_DATE_EPOCH")
    if value is None or value == "":
        return None
    if not value.isdigit():
        raise InvalidArgument(
            f'invalid SOURCE_DATE_EPOCH "{value}": a whole number of seconds since 1970'
        )
    return int(value)
