"""Stages that do not depend on each other, built at once: one thread per stage, at
most one per core, a stage starting when every stage it reads has finished.

- **The store**: each stage's thread opens the store again (its own SQLite connection,
  its own descriptor of the store lock, whose ``flock`` then keeps the threads'
  writes apart as it keeps processes' apart). What the engine lent the runner (its
  connection for image names and pulls, the bridge for RUN's network) is used only on
  this, the calling thread: a stage's thread asks for it (``Runner.on_main``) and
  waits for the answer.
- **The output**: whole lines, each prefixed with its stage (``[builder] Step 2/9 :
  RUN make``), so two stages' lines interleave and stay readable. Step numbers are
  those a build one stage after the other would show.
- **A failure** stops the build: no stage starts any more, the RUN containers of the
  others are killed (their steps' layers discarded), every thread is waited for, and
  the first error is raised, ``Dockerfile:LINE: …``. Each finished step published its
  layer and cache entry in one transaction, so the store stays consistent and keeps
  the cache of every step that finished.
"""

from __future__ import annotations

import copy
import queue
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from ..store.store import Store
from .stages import first_step

if TYPE_CHECKING:
    from .instructions import Stage
    from .runner import Runner
    from .state import State

T = TypeVar("T")


class Cancelled(Exception):
    """A stage stopped because another one failed (never shown)."""


class _Call:
    """A call a stage's thread asks this thread to make, and its answer."""

    def __init__(self, fn: Callable[[], Any]) -> None:
        self.fn = fn
        self.answered = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None

    def answer(self) -> None:
        try:
            self.result = self.fn()
        except BaseException as e:  # given to the stage's thread, which raises it
            self.error = e
        self.answered.set()


class _Done:
    def __init__(self, index: int, state: State | None, error: BaseException | None) -> None:
        self.index, self.state, self.error = index, state, error


def build(runner: Runner, graph: Mapping[int, frozenset[int]], target: Stage, limit: int) -> State:
    """The stages of ``graph``, each once the ones it reads are built; ``target``'s
    result. ``limit``: how many at once."""
    inbox: queue.SimpleQueue[_Call | _Done] = queue.SimpleQueue()
    printing = threading.Lock()
    stop = threading.Event()
    waiting = sorted(graph)
    running: dict[int, threading.Thread] = {}
    failure: BaseException | None = None
    out = runner.out

    def on_main(fn: Callable[[], T]) -> T:
        call = _Call(fn)
        inbox.put(call)
        while not call.answered.wait(0.5):
            if stop.is_set():  # stopping: its answer may never come (an interrupt lost it)
                raise Cancelled
        if call.error is not None:
            raise call.error
        result: T = call.result
        return result

    def checkpoint() -> None:
        if stop.is_set():
            raise Cancelled

    def work(index: int) -> None:
        stage = runner.plan.stages[index]
        label = stage.name or f"stage-{index}"

        def prefixed(line: str) -> None:
            with printing:
                out(f"[{label}] {line}")

        state: State | None = None
        error: BaseException | None = None
        try:
            store = Store(runner.store.root)
            try:
                worker = copy.copy(runner)
                worker.store = store
                worker.out = prefixed
                worker.on_main = on_main
                worker.checkpoint = checkpoint
                worker.step_no = first_step(runner.plan, stage, graph) - 1
                # what a build in order would have finished by now: the stages it reads
                worker.finished = {i: s for i, s in runner.finished.items() if i < index}
                state = worker.stage(stage)
            finally:
                store.close()
        except BaseException as e:  # handed to the main thread, which decides
            error = e
        inbox.put(_Done(index, state, error))

    def halt(why: BaseException) -> None:
        nonlocal failure
        if failure is None:
            failure = why
        stop.set()
        from .step_fs import stop_running

        stop_running(runner.f.runtime)

    def turn() -> None:
        """Start the stages that are ready, then take one message."""
        while failure is None and waiting and len(running) < limit:
            ready = [i for i in waiting if graph[i] <= runner.finished.keys()]
            if not ready:
                break
            waiting.remove(ready[0])
            thread = threading.Thread(target=work, args=(ready[0],), daemon=True)
            running[ready[0]] = thread
            thread.start()
        if failure is not None:  # a thread whose message an interrupt lost is done too
            for index in [i for i, t in running.items() if not t.is_alive()]:
                del running[index]
        if not running:
            return
        try:
            item = inbox.get(timeout=None if failure is None else 0.5)
        except queue.Empty:  # stopping: a RUN that started after the kill dies too
            halt(failure or Cancelled())
            return
        if isinstance(item, _Call):
            item.answer()
            return
        running.pop(item.index, None)  # its thread ends right after this message
        if item.error is not None:
            if not isinstance(item.error, Cancelled):
                halt(item.error)  # the first error is the build's; the rest follow from it
        elif item.state is not None:
            runner.finished[item.index] = item.state

    while running or (waiting and failure is None):
        try:
            turn()
        except BaseException as e:  # Ctrl-C, SIGTERM (twice, even): stop, wait, raise
            try:
                halt(e)
            except BaseException:  # interrupted again: the next turn kills again
                pass
    if failure is not None:
        raise failure
    return runner.finished[target.index]
