"""The stages a build needs and what each one waits for.

A stage depends on the earlier stages it names: its ``FROM`` (after the global ARGs
are expanded, as the runner expands it), ``COPY --from`` and ``RUN --mount=…,from=``.
Only the target and what it depends on, transitively, are built (BuildKit skips the
rest too). Two needed stages neither of which depends on the other can be built at
once (parallel.py); when no two can, the build stays on one thread.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Mapping

from .instructions import BuildPlan, Stage
from .mounts import mount_sources
from .shell import process_word


def base_stage(build_plan: BuildPlan, stage: Stage, global_args: Mapping[str, str]) -> Stage | None:
    """The earlier stage ``stage`` starts FROM, if it starts from one."""
    found = build_plan.stage(process_word(stage.base, dict(global_args)))
    return found if found is not None and found.index < stage.index else None


def dependencies(
    build_plan: BuildPlan, stage: Stage, global_args: Mapping[str, str]
) -> frozenset[int]:
    """The indexes of the earlier stages ``stage`` reads directly."""
    refs = [n.flags["from"] for n in stage.nodes if n.instruction == "COPY" and "from" in n.flags]
    refs += mount_sources(stage.nodes)
    found = [build_plan.stage(ref) for ref in refs] + [base_stage(build_plan, stage, global_args)]
    return frozenset(dep.index for dep in found if dep is not None and dep.index < stage.index)


def needed(
    build_plan: BuildPlan, target: Stage, global_args: Mapping[str, str]
) -> dict[int, frozenset[int]]:
    """The stages ``target`` needs (itself too), each with its direct dependencies."""
    graph: dict[int, frozenset[int]] = {}
    pending = [target.index]
    while pending:
        index = pending.pop()
        if index not in graph:
            graph[index] = dependencies(build_plan, build_plan.stages[index], global_args)
            pending.extend(graph[index])
    return graph


def independent(graph: Mapping[int, frozenset[int]]) -> bool:
    """Whether two of the stages may build at once: some stage is neither an ancestor
    nor a descendant of another one."""
    ancestors: dict[int, set[int]] = {}
    for index in sorted(graph):  # a stage's dependencies have lower indexes
        ancestors[index] = set(graph[index])
        for dep in graph[index]:
            ancestors[index] |= ancestors[dep]
    order = sorted(graph)  # a later stage cannot be an earlier one's ancestor
    return any(a not in ancestors[b] for i, b in enumerate(order) for a in order[:i])


def parallelism() -> int:
    """How many stages may build at once: the cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def first_step(build_plan: BuildPlan, stage: Stage, graph: Collection[int]) -> int:
    """The number of ``stage``'s FROM line, counting the needed stages in order."""
    earlier = build_plan.stages[: stage.index]
    return 1 + sum(1 + len(s.nodes) for s in earlier if s.index in graph)


TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import Protocol, TypeVar

    T = TypeVar("T")

    class OnMain(Protocol):
        """Makes a call on the thread that made the engine's facilities; its result."""

        def __call__(self, fn: Callable[[], T]) -> T: ...


def call_here(fn: Callable[[], T]) -> T:
    """A build on one thread: every call is made where it is asked for."""
    return fn()


def go_on() -> None:
    """A build on one thread: nothing ever asks a stage to stop."""
