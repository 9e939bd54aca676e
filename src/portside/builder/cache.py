"""The build cache: each step's key, its row in the store, and why a step missed.

A step's key hashes its parent's key, the step (after expansion where the builder
expands it), the build args it can see and, for COPY/ADD, the digests of the files it
copies (content, mode, owner, link target; never the time). Each row also records what
its key hashed, found again by a probe key (the same step of the same Dockerfile,
whatever its inputs): the difference is the reason a step missed ("changed server.js
(+2 more)", "build arg V changed", "base image busybox changed", "--no-cache").
"""

from __future__ import annotations

import time
from collections.abc import Callable

from ..fastjson import dumps, loads
from ..ids import Sha256
from ..image.manifest import canonical_json
from ..store.metadata import CacheRow

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import Any

    from ..image.ingest import StagedLayer
    from ..store.store import Store
    from .state import State

# part of every layer step's cache key: raised when what a step writes changes, so an
# older portside's layers are not reused (2: WORKDIR's directory is made)
LAYER_FORMAT = 2


def key(*parts: Any) -> str:
    return "sha256:" + Sha256(canonical_json(list(parts))).hexdigest()


def probe(identity: str, stage_index: int, source: str) -> str:
    """The key under which a step finds its last inputs, whatever they were: the
    Dockerfile (``identity``), the stage and the step's text."""
    return key("probe", identity, stage_index, source)


def short(k: str) -> str:
    return k.rsplit(":", 1)[-1][:12]


def cached(store: Store, k: str) -> CacheRow | None:
    entry = store.meta.cache_entry(k)
    if entry is None:
        return None
    if not all(store.layers.exists(d) for d in entry.layers):
        return None  # its layers were pruned: run the step again
    return entry


def touch(store: Store, k: str) -> None:
    """A row used again: pruning by age spares it."""
    store.meta.touch_cache_entry(k, time.time())


def record(
    store: Store,
    k: str,
    probe_key: str,
    state: State,
    inputs: dict[str, Any],
    staged: StagedLayer | None,
) -> None:
    """``state`` as the result of the step keyed ``k``, with its new layer (if any)
    published in the same write."""
    entry = CacheRow(
        k,
        probe_key,
        dumps(state.image.get("config") or {}),
        dumps(state.image.get("history") or []),
        dumps(inputs),
        list(state.layers),
    )
    with store.writing() as publisher:
        if staged is not None:
            staged.publish(store, publisher)
        store.meta.add_cache_entry(entry, time.time())


def why(
    store: Store,
    no_cache: bool,
    state: State,
    probe_key: str,
    inputs: dict[str, Any],
    elsewhere: Callable[[str], CacheRow | None] | None = None,
) -> str:
    """Why the step with ``inputs`` missed, in a few words; ``elsewhere``: the last
    inputs of the same step in an imported cache, when the store has none."""
    if no_cache:
        return "--no-cache"
    if state.missed_at is not None:
        return f"after step {state.missed_at}'s miss"
    previous = store.meta.cache_by_probe(probe_key)
    if previous is None and elsewhere is not None:
        previous = elsewhere(probe_key)
    if previous is None:
        return "not built before"
    before = loads(previous.inputs)
    old_args, new_args = before.get("args") or {}, inputs.get("args") or {}
    for name in sorted(set(old_args) | set(new_args)):
        if old_args.get(name) != new_args.get(name):
            old, new = old_args.get(name), new_args.get(name)
            return f"build arg {name} changed ({old!r} -> {new!r})"
    old_parent, new_parent = str(before.get("parent", "")), str(inputs.get("parent", ""))
    if old_parent != new_parent:
        if old_parent.startswith("image:") and new_parent.startswith("image:"):
            return f"the base image changed ({short(old_parent)} -> {short(new_parent)})"
        return "an earlier step changed"
    old_files, new_files = before.get("files") or {}, inputs.get("files") or {}
    if old_files != new_files:
        changed = sorted(p for p in new_files if p in old_files and old_files[p] != new_files[p])
        added = sorted(p for p in new_files if p not in old_files)
        removed = sorted(p for p in old_files if p not in new_files)
        first = (
            f"changed {changed[0]}"
            if changed
            else f"added {added[0]}"
            if added
            else f"removed {removed[0]}"
        )
        more = len(changed) + len(added) + len(removed) - 1
        return first + (f" (+{more} more)" if more else "")
    old_mounts, new_mounts = before.get("mounts") or [], inputs.get("mounts") or []
    if old_mounts != new_mounts:  # RUN --mount=…,from=: [type, key, source] each
        for old, new in zip(old_mounts, new_mounts, strict=False):
            if old != new:
                return f"the {new[0]} mount's from={new[3]} changed"
        return "its mounts changed"
    return "its inputs changed"
