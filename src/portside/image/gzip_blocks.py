"""gzip for pushing layers: independent 1 MiB members, compressed on several cores.

A gzip file may hold several members one after another, and every gzip reader (Go's,
which Docker and containerd use; zlib's; ours) reads them as one stream. Members share
no state, so they compress in parallel threads (the compressor lets go of the GIL), the
way pigz does. The compressor is ISA-L's (the isal package): at its level 3 it makes
output a few percent larger than zlib's level 6 (Go's default, what Docker pushes with)
ten times faster, which on these machines decides how fast a push is. A block that does
not shrink (random or already compressed data, judged on a sample) is stored, not
deflated: a copy instead of the slowest case, and the output is still gzip. Output is
deterministic: the same layer gives the same bytes, so the same digest, every time.
"""

from __future__ import annotations

import zlib
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor

from isal import isal_zlib

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import BinaryIO

BLOCK = 1 << 20
LEVEL = 3  # ISA-L's highest
SAMPLE = 64 << 10
INCOMPRESSIBLE = 0.97  # a sample that deflates to more than this is stored


def _member(block: bytes) -> bytes:
    sample = block[:SAMPLE]
    if len(sample) == SAMPLE:
        trial = isal_zlib.compressobj(1, isal_zlib.DEFLATED, -15)
        shrunk = len(trial.compress(sample)) + len(trial.flush())
        if shrunk > INCOMPRESSIBLE * len(sample):
            stored = zlib.compressobj(0, zlib.DEFLATED, 31)  # zlib stores; ISA-L cannot
            return stored.compress(block) + stored.flush()
    # mtime 0 and no name: the same bytes make the same member
    c = isal_zlib.compressobj(LEVEL, isal_zlib.DEFLATED, 31)
    return c.compress(block) + c.flush()


def gzip_members(source: BinaryIO, workers: int = 2) -> Iterator[tuple[int, bytes]]:
    """``source`` as gzip members, in order, ``workers`` blocks compressing at a time;
    with each, how many bytes of ``source`` it and those before it hold."""
    with ThreadPoolExecutor(max_workers=max(workers, 1)) as pool:
        pending: deque[tuple[int, Future[bytes]]] = deque()
        consumed = 0
        first = True
        while True:
            block = source.read(BLOCK)
            if not block and not first:
                break
            first = False  # an empty layer still gets one (empty) member: gzip needs one
            consumed += len(block)
            pending.append((consumed, pool.submit(_member, block)))
            while len(pending) > workers * 2:
                done, member = pending.popleft()
                yield done, member.result()
        while pending:
            done, member = pending.popleft()
            yield done, member.result()


def gzip_stream(source: BinaryIO, write: Callable[[bytes], object], workers: int = 2) -> None:
    """Compress all of ``source`` to ``write`` as gzip, ``workers`` blocks at a time."""
    for _, member in gzip_members(source, workers):
        write(member)
