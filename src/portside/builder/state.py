"""An image while it is being built: what each step takes and gives the next one."""

from __future__ import annotations

import copy

from ..records import dataclass, field
from . import config_ops

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import Any

DEFAULT_SHELL = ["/bin/sh", "-c"]


@dataclass
class State:
    """An image being built: its config JSON (without rootfs) and its layers."""

    key: str
    image: dict[str, Any]
    layers: list[str]
    shell: list[str] = field(default_factory=lambda: list(DEFAULT_SHELL))
    args: dict[str, str] = field(default_factory=dict)  # ARGs declared in the stage
    missed_at: int | None = None  # the step number of this stage's first miss

    @property
    def config(self) -> dict[str, Any]:
        cfg: dict[str, Any] = self.image.setdefault("config", {})
        return cfg

    def env(self) -> dict[str, str]:
        """What ``$VAR`` expands to: build args, then ENV (which wins)."""
        return {**self.args, **config_ops.env_map(self.config.get("Env"))}

    def clone(self) -> State:
        """A copy the next step can change without touching this one."""
        return State(
            self.key,
            copy.deepcopy(self.image),
            list(self.layers),
            list(self.shell),
            dict(self.args),
            self.missed_at,
        )
