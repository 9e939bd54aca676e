"""``build --build-context NAME=VALUE``: BuildKit's named contexts.

A name given here stands, wherever the Dockerfile names a stage or an image (``FROM
NAME``, ``COPY --from=NAME``, ``RUN --mount=…,from=NAME``), for what its value says:

- ``docker-image://REF``: the image REF instead (pinned by digest or replaced by a
  local build, as BuildKit's users do);
- a local folder (absolute, or relative to the working folder): its files. ``COPY
  --from=NAME`` reads them as it reads the build context (the folder's own
  .dockerignore applies); ``FROM NAME`` and ``--mount from=NAME`` get them as one layer
  over scratch (a ``COPY . /`` from the folder, cached by content as COPY is).

A named context wins over a stage of the same name, as BuildKit's does. Other sources
(a git URL, ``oci-layout://``, ``target:``) are refused in one line.
"""

from __future__ import annotations

from ..errors import InvalidArgument
from ..records import dataclass

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from pathlib import Path

IMAGE = "docker-image://"


@dataclass(frozen=True)
class NamedContext:
    image: str = ""  # a docker-image:// reference
    folder: Path | None = None  # a local folder


def parse(value: str) -> tuple[str, NamedContext]:
    """One ``--build-context NAME=VALUE``."""
    name, sep, source = value.partition("=")
    if not sep or not name or not source:
        raise InvalidArgument(f"invalid --build-context {value!r}: NAME=VALUE expected")
    if source.startswith(IMAGE):
        ref = source[len(IMAGE) :]
        if not ref:
            raise InvalidArgument(f"invalid --build-context {value!r}: no image after {IMAGE}")
        return name, NamedContext(image=ref)
    if "://" in source or source.startswith(("target:", "git@")):
        raise InvalidArgument(
            f"--build-context {name}={source}: only docker-image:// and local folders are supported"
        )
    from pathlib import Path  # a --build-context folder

    folder = Path(source).absolute()
    if not folder.is_dir():
        raise InvalidArgument(f"--build-context {name}={source}: no such folder")
    return name, NamedContext(folder=folder)
