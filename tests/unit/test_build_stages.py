"""Which stages a build needs and which may build at once (builder/stages.py), read
from Dockerfiles as a user writes them."""

from __future__ import annotations

from portside.builder.dockerfile import decode, parse
from portside.builder.instructions import BuildPlan, plan
from portside.builder.stages import first_step, independent, needed


def read(text: str) -> BuildPlan:
    return plan(parse(decode(text.encode(), "Dockerfile"), "Dockerfile"))


TWO_SIDES = """\
ARG BASE=builder
FROM busybox AS builder
RUN make
FROM busybox AS assets
RUN make css
FROM busybox AS unused
RUN exit 9
FROM ${BASE} AS app
COPY --from=assets /css /css
RUN --mount=type=bind,from=unused,target=/x true
FROM app
"""


def test_needed_follows_from_copy_and_mounts_after_args() -> None:
    p = read(TWO_SIDES)
    graph = needed(p, p.stages[4], {"BASE": "builder"})
    # FROM ${BASE} is the builder stage; the mount reads "unused", so it is needed too
    assert graph == {
        4: frozenset({3}),
        3: frozenset({0, 1, 2}),
        0: frozenset(),
        1: frozenset(),
        2: frozenset(),
    }
    assert independent(graph)
    assert first_step(p, p.stages[3], graph) == 7  # after three stages of two lines


def test_a_chain_of_stages_stays_on_one_thread() -> None:
    p = read("FROM busybox AS a\nRUN true\nFROM a AS b\nCOPY --from=a /x /x\nFROM b\n")
    graph = needed(p, p.stages[2], {})
    assert graph == {2: frozenset({1}), 1: frozenset({0}), 0: frozenset()}
    assert not independent(graph)
    only = needed(p, p.stages[0], {})
    assert only == {0: frozenset()} and not independent(only)
