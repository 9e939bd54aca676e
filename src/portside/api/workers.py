"""Connection threads kept for the next connection, rather than one new thread each.

``socketserver.ThreadingMixIn`` starts a thread per connection, and ``Thread.start``
waits until the new thread runs: with the handler's set-up that was about 0.25 ms of
the 0.65 ms a ``GET /_ping`` on a new connection took here (2 shared cores, Python
3.11), and every docker CLI command opens a new connection (``run`` several: its
attach and its wait hold one each). Here a connection goes to a thread that finished
its last one and waits; a new thread is started only when none waits, so a connection
that blocks (a wait, an attach, a followed log) never holds another up, as before. At
most ``MAX_IDLE`` threads wait, each for ``IDLE_SECONDS`` at most: a burst of
connections leaves no threads behind.
"""

from __future__ import annotations

import queue
import threading

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import Any

MAX_IDLE = 8
IDLE_SECONDS = 5.0  # a thread with no connection for so long ends


class ReusedThreads:
    """A mixin placed before ``socketserver.ThreadingMixIn``: its ``process_request``
    hands each connection to a waiting thread, which runs the server's
    ``process_request_thread`` on it (handle, then close) as a new thread would."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._handoff: queue.SimpleQueue[tuple[Any, Any]] = queue.SimpleQueue()
        self._idle = 0
        self._idle_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        self._handoff.put((request, client_address))
        with self._idle_lock:
            if self._idle:
                self._idle -= 1  # that thread takes it from the queue
                return
        threading.Thread(target=self._work, daemon=True).start()

    def _work(self) -> None:
        while True:
            try:
                request, client_address = self._handoff.get(timeout=IDLE_SECONDS)
            except queue.Empty:
                with self._idle_lock:
                    if self._idle > 0:  # no connection is on its way to this thread
                        self._idle -= 1
                        return
                continue  # one was given to it as the wait ended: it is in the queue
            self.process_request_thread(request, client_address)  # type: ignore[attr-defined]
            with self._idle_lock:
                if self._idle >= MAX_IDLE:
                    return
                self._idle += 1
