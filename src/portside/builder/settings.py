"""What a build is asked to do beyond its Dockerfile: build args, ``--no-cache``,
``--pull``, RUN's network, the secrets (``--secret``), entitlements (``--allow``), the
target platform and SOURCE_DATE_EPOCH; built once by the engine from its options."""

from __future__ import annotations

from collections.abc import Mapping

from ..records import dataclass, field
from .platforms import Platform

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
