"""gzip for pushing layers: independent 1 MiB members, compressed on several cores.

A gzip file may hold several members one after another, and every gzip reader (Go's,
which Docker and containerd use; zlib's; ours) reads them as one stream. Members share
no state, so they compress in parallel threads (zlib lets go of the GIL while it
deflates), the way pigz does. A block that does not shrink (random or already compressed
data, judged on a sample) is stored, not deflated: it costs a copy instead of the
slowest case of deflate, and the output is still gzip. Output is deterministic: the same
layer gives the same bytes, so the same digest, every time.
"""

from __future__ import annotations

import zlib
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import BinaryIO

BLOCK = 1 << 20
LEVEL = 6  # Go's gzip.DefaultCompression, what Docker pushes with
SAMPLE = 64 << 10
INCOMPRESSIBLE = 0.97  # a sample that deflates to more than this is stored


def _member(block: bytes) -> bytes:
    sample = block[:SAMPLE]
    level = LEVEL
    if len(sample) == SAMPLE:
        trial = zlib.compressobj(1, zlib.DEFLATED, -15)
        shrunk = len(trial.compress(sample)) + len(trial.flush())
        if shrunk > INCOMPRESSIBLE * len(sample):
            level = 0
    # mtime 0 and no name: the same bytes make the same member
    c = zlib.compressobj(level, zlib.DEFLATED, 31)
    return c.compress(block) + c.flush()


def gzip_stream(source: BinaryIO, write: Callable[[bytes], object], workers: int = 2) -> None:
    """Compress all of ``source`` to ``write`` as gzip, ``workers`` blocks at a time."""
    with ThreadPoolExecutor(max_workers=max(workers, 1)) as pool:
        pending: deque[Future[bytes]] = deque()
        first = True
        while True:
            block = source.read(BLOCK)
            if not block and not first:
                break
            first = False  # an empty layer still gets one (empty) member: gzip needs one
            pending.append(pool.submit(_member, block))
            while len(pending) > workers * 2:
                write(pending.popleft().result())
        while pending:
            write(pending.popleft().result())
