"""``create`` and ``run`` with their image fetched first, as Docker's ``--pull`` says:
``missing`` (the default) pulls only an image the store lacks, ``always`` pulls before
every create, ``never`` refuses a missing image. Every front end creates through here,
so ``docker run``'s pull-and-retry is written once.

The pull's progress goes where the caller's progress goes (a LayerProgress, or a
function taking lines), starting with Docker's ``Unable to find image 'x' locally``.
"""

from __future__ import annotations

from ..errors import ImageNotFound, InvalidArgument, PortsideError
from ..progress import LayerProgress

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from ..store.containers import ContainerRow
    from . import Engine
    from .container_options import CreateOptions
    from .registry import Output

PULL_POLICIES = ("missing", "always", "never")


def create_container(
    engine: Engine,
    opts: CreateOptions,
    pull: str = "missing",
    progress: LayerProgress | Output | None = None,
) -> ContainerRow:
    """A new container from ``opts``, its image pulled first as ``pull`` says."""
    if pull not in PULL_POLICIES:
        raise InvalidArgument(f'invalid pull option: "{pull}": missing, always or never')
    show = progress if isinstance(progress, LayerProgress) else LayerProgress(progress or _drop)
    if pull == "always":
        engine.registry.pull(opts.image, show)
        return engine.containers.create(opts)
    try:
        return engine.containers.create(opts)
    except ImageNotFound:
        show.line(f"Unable to find image '{_familiar(opts.image)}' locally")
        if pull == "never":
            raise ImageNotFound(_familiar(opts.image)) from None
    engine.registry.pull(opts.image, show)
    return engine.containers.create(opts)


def _familiar(image: str) -> str:
    """``nosuchimage`` as Docker names it in these messages: ``nosuchimage:latest``
    (a name that does not parse, as given)."""
    from .references import familiar

    try:
        return familiar(image)
    except PortsideError:
        return image


def _drop(line: str) -> None:
    pass
