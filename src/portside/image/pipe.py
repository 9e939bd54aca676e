"""One function writing a stream while another reads it, in one process: a tar that is
made and extracted (cp, commit) never touches the disk as a whole."""

from __future__ import annotations

import os
import threading
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
