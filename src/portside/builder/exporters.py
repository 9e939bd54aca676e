"""A build's result written outside the image store, as BuildKit's ``local`` and
``tar`` exporters write it: the final stage's files, its layers merged (an overlay
mount of them, gone when the export is done), never an image.

``local`` extracts them into a folder (made if missing; what it held stays unless a
file of the result replaces it), owners and modes as in the image; ``tar`` writes
them as one uncompressed tar, entries in sorted order.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import BinaryIO, Protocol

    from _typeshed import StrPath

    from ..store.store import Store

    Output = Callable[[str], None]

    class Exporter(Protocol):  # the engine's BuildOutput
        @property
        def type(self) -> str: ...
        @property
        def dest(self) -> StrPath | None: ...
        @property
        def stream(self) -> BinaryIO | None: ...


@contextmanager
def merged(store: Store, layers: list[str]) -> Iterator[str]:
    """The files of ``layers`` (diff IDs, lowest first) as one tree, while it lasts."""
    from . import step_fs

    lowers = store.layers.lower_paths(layers)
    with step_fs.mounted(store, lowers) as fs:  # on a failure it discards itself
        yield fs.root
    store.layers.discard(fs.work)  # its upper directory, empty: nothing was written


def write_tar(store: Store, layers: list[str], out: BinaryIO) -> None:
    from ..image.layer_write import write_tree

    with merged(store, layers) as root:
        write_tree(root, out)


def write_local(store: Store, layers: list[str], where: StrPath) -> None:
    from ..image.layer import apply_tar
    from ..image.layer_write import write_tree
    from ..image.pipe import piped

    dest = Path(where)
    dest.mkdir(parents=True, exist_ok=True)
    with merged(store, layers) as root:
        piped(lambda out: write_tree(root, out), lambda tar: apply_tar(tar, dest, whiteouts=False))


def export_files(store: Store, layers: list[str], output: Exporter, out: Output) -> None:
    """``--output type=local|tar``: the result's files, no image (``cacheonly``:
    nothing)."""
    if output.type == "local":
        assert output.dest is not None
        write_local(store, layers, output.dest)
        out(f"Exported the result's files to {output.dest}")
    elif output.type == "tar":
        assert output.stream is not None
        write_tar(store, layers, output.stream)
        out("Exported the result's files as a tar")
