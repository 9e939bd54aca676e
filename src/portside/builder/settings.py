"""What a build is asked to do beyond its Dockerfile: build args, ``--no-cache``,
``--pull``, RUN's network, the secrets (``--secret``) and entitlements (``--allow``);
built once by the engine from its options."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING

from ..errors import DockerfileError
from ..records import dataclass, field

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

    def preflight(self, build_plan: BuildPlan, needed: Collection[int], name: str) -> None:
        """What these settings forbid in the stages ``needed``, refused before anything
        is written (BuildKit's entitlements); ``name``: the Dockerfile's."""
        asks = {"security": ("insecure", "security.insecure"), "network": ("host", "network.host")}
        for stage in build_plan.stages:
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
