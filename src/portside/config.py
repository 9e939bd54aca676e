"""Settings, built once from flags and the environment and passed down."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_ROOT = "/var/lib/portside"
DEFAULT_RUNROOT = "/run/portside"


@dataclass(frozen=True)
class Settings:
    root: Path
    runroot: Path
    runtime: str = "runc"

    @classmethod
    def from_env(
        cls,
        root: str | os.PathLike[str] | None = None,
        runroot: str | os.PathLike[str] | None = None,
        environ: Mapping[str, str] = os.environ,
    ) -> Settings:
        """Flags win over PORTSIDE_ROOT / PORTSIDE_RUNROOT, which win over defaults."""
        return cls(
            root=Path(root or environ.get("PORTSIDE_ROOT") or DEFAULT_ROOT).absolute(),
            runroot=Path(runroot or environ.get("PORTSIDE_RUNROOT") or DEFAULT_RUNROOT).absolute(),
            runtime=environ.get("PORTSIDE_RUNTIME", "runc"),
        )
