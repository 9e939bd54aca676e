"""One function writing a stream while another reads it, in one process: a tar that is
made and extracted (cp, commit) never touches the disk as a whole."""

from __future__ import annotations

import os
import threading

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import BinaryIO, TypeVar

    T = TypeVar("T")


def piped(produce: Callable[[BinaryIO], None], consume: Callable[[BinaryIO], T]) -> T:
    """``consume``'s result on what ``produce`` writes (in a thread); the producer's
    failure is raised even when the consumer took the cut-short stream for complete."""
    read_fd, write_fd = os.pipe()
    failure: list[BaseException] = []

    def run() -> None:
        try:
            with open(write_fd, "wb") as out:
                produce(out)
        except BrokenPipeError:
            pass  # the consumer stopped reading: its own error says why
        except BaseException as e:  # noqa: BLE001 - re-raised in the caller's thread
            failure.append(e)

    writer = threading.Thread(target=run, daemon=True)
    writer.start()
    try:
        with open(read_fd, "rb") as stream:
            result = consume(stream)
    finally:
        writer.join()
    if failure:
        raise failure[0]
    return result


class Behind:
    """``sink`` called with each chunk written, in a thread of its own, at most ``depth``
    chunks behind the writer: a blob's hashing and writing (both let go of the GIL) run
    beside the extraction that feeds them, on another core. The sink's first error is
    raised by the next ``write`` or by ``close``, which waits for the sink to finish and
    must always be called."""

    def __init__(self, sink: Callable[[bytes], object], depth: int = 8) -> None:
        import queue

        self._sink = sink
        self._queue: queue.Queue[bytes | None] = queue.Queue(depth)
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (data := self._queue.get()) is not None:
            if self._failure is None:
                try:
                    self._sink(data)
                except BaseException as e:  # noqa: BLE001 - raised in the writer's thread
                    self._failure = e

    def write(self, data: bytes) -> None:
        if self._failure is not None:
            raise self._failure
        self._queue.put(data)

    def close(self) -> None:
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        if self._failure is not None:
            raise self._failure
