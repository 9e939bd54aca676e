"""What pull and push share: the retry count, the cancel of a transfer's other layers
when one fails, and the checks of what a registry sends."""

from __future__ import annotations

import json
import threading
from concurrent.futures import FIRST_EXCEPTION, Future, wait

from ..errors import InvalidArchive, InvalidArgument
from ..image.manifest import Descriptor

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import Any

LAYER_ATTEMPTS = 3


class Cancelled(Exception):
    """Another layer of the same transfer failed: stop this one."""


def short_digest(digest: str) -> str:
    """A layer as the progress lines name it: 12 hex digits."""
    return digest.removeprefix("sha256:")[:12]


def gather(futures: Any, cancel: threading.Event) -> BaseException | None:
    """Wait for all; on the first failure, tell the rest to stop; that failure."""
    first: BaseException | None = None
    pending: list[Future[Any]] = list(futures)
    while pending:
        done, rest = wait(pending, return_when=FIRST_EXCEPTION)
        pending = list(rest)
        for f in done:
            error = f.exception()
            if error is not None and not isinstance(error, Cancelled) and first is None:
                first = error
                cancel.set()
    return first


def json_list(value: Any, what: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidArgument(f"the registry sent a malformed {what}: not a list")
    return value


def descriptor(value: Any, what: str) -> Descriptor:
    try:
        return Descriptor.from_json(value)
    except InvalidArchive as e:
        raise InvalidArgument(f"the registry sent a malformed {what}: {e}") from None


def json_object(data: bytes, what: str) -> dict[str, Any]:
    try:
        value = json.loads(data)
    except ValueError:
        raise InvalidArgument(f"the registry sent a {what} that is not JSON") from None
    if not isinstance(value, dict):
        raise InvalidArgument(f"the registry sent a {what} that is not a JSON object")
    return value
