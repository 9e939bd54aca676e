"""Settings, built once from flags and the environment and passed down."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from .records import dataclass

DEFAULT_ROOT = "/var/lib/portside"
DEFAULT_RUNROOT = "/run/portside"


@dataclass(frozen=True)
class Settings:
    root: Path
    runroot: Path
    runtime: str = "runc"
    max_concurrent_downloads: int = 3  # layers pulled at once (dockerd's flag of that name)
    max_concurrent_uploads: int = 3  # blobs pushed at once

    @property
    def api_socket(self) -> Path:
        """Where ``system service`` listens when given no address."""
        return self.runroot / "portside.sock"

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
            max_concurrent_downloads=_count(environ, "PORTSIDE_MAX_CONCURRENT_DOWNLOADS", 3),
            max_concurrent_uploads=_count(environ, "PORTSIDE_MAX_CONCURRENT_UPLOADS", 3),
        )


def _count(environ: Mapping[str, str], name: str, default: int) -> int:
    """A positive whole number from the environment; an unusable value is an error."""
    text = environ.get(name)
    if text is None or text == "":
        return default
    if not text.isdigit() or int(text) < 1:
        from .errors import InvalidArgument

        raise InvalidArgument(f"{name}={text}: must be a whole number of at least 1")
    return int(text)
