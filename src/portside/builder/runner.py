"""The build runner: the needed stages of a plan, step by step, each step's output
line by line, with the layer cache (cache.py) deciding which steps run.

Steps run in order: FROM (an earlier stage, ``scratch``, or an image from the store or
pulled), metadata instructions (config only, no layer), RUN (run_step.py) and COPY/ADD
(copy_step.py) in an overlay of the layers so far (step_fs.py). Each new layer and
cache entry is published as soon as its step succeeds, so a failed build keeps the
cache of the steps before the failure. A step that hits the cache loads neither the
runtime nor step_fs: a fully cached build starts as fast as it can.

The runner never imports ``engine/``: what it needs from the engine (the store, the
runtime, image names, pulls, the network) comes in a :class:`Facilities` record.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, ExitStack

from ..errors import DockerfileError, ImageNotFound, InvalidArgument
from ..fastjson import loads
from ..records import dataclass
from ..store.tempnames import remove_tree, temp_name
from . import cache, config_ops, copy_step, platforms, run_mounts, stages
from .context import BuildContext
from .mounts import Mount
from .parser import Node, parse_line
from .settings import BuildSettings
from .shell import process_word, process_words
from .sources import Sources
from .state import State

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:  # only a step that misses needs them: a cached build starts faster
    from pathlib import Path
    from typing import Any

    from _typeshed import StrPath

    from ..runtime.runc import Runtime
    from ..store.metadata import CacheRow
    from ..store.store import Store
    from .cache_transfer import Imported
    from .instructions import BuildPlan, Stage

Output = Callable[[str], None]


@dataclass(frozen=True)
class Facilities:
    """What the runner gets from the engine, built by the engine's build service."""

    store: Store
    runtime: Runtime  # RUN's containers
    resolve: Callable[[str], str]  # an image's name -> its ID in the store (ImageNotFound)
    pull: Callable[[str, Output], str]  # an image pulled, its progress to the output -> its ID
    # a network namespace on the default bridge for RUN steps, named by its step ID:
    # (its path, its address) while the context lasts
    sandbox: Callable[[str], AbstractContextManager[tuple[str, str]]]
    # an init layer (the mount points runc needs) made at a path, over an image's
    # layer folders (topmost first)
    init_layer: Callable[[StrPath, Sequence[StrPath]], None]
    # a folder outside the store (under the run root) for what must never reach it:
    # secrets' files, and the bundles of steps given a secret in a variable
    scratch: str = "/run/portside/build"
    all_capabilities: tuple[str, ...] = ()  # RUN --security=insecure's


class Runner(Sources):
    """One build: the steps of the needed stages, in order, with their output."""

    def __init__(
        self,
        facilities: Facilities,
        settings: BuildSettings,
        context: BuildContext,
        build_plan: BuildPlan,
        identity: str,
        out: Output,
        name: str,
    ) -> None:
        self.f = facilities
        self.store = facilities.store
        self.name = name  # the Dockerfile's name, for "NAME:LINE: ..." errors
        self.settings = settings
        self.context = context
        self.plan = build_plan
        self.identity = identity  # the Dockerfile's path ("-": stdin), for probe keys
        self.out = out
        self.total = 0  # the steps of the needed stages, FROM lines included
        self.step_no = 0
        self.finished: dict[int, State] = {}
        self.global_args: dict[str, str] = {}
        target_platform = settings.platform or platforms.native()
        automatic = platforms.automatic_args(platforms.native(), target_platform)
        self.global_args = self._declare(automatic, build_plan.global_args)
        self.cleanup = ExitStack()  # init layers, downloads, COPY --from mounts: at close
        self.sandbox: list[tuple[str, str]] = []  # RUN steps' network namespace, once made
        # the engine's facilities (its store connection, the bridge) belong to the
        # thread that made them: a stage built on another thread calls them through this
        self.on_main: stages.OnMain = stages.call_here
        self.checkpoint: Callable[[], None] = stages.go_on  # before each step: a stop asked?
        self.imported: Imported | None = None  # --cache-from's caches
        self.step_keys: dict[int, list[str]] = {}  # stage index -> its steps' keys
        self.mounts_used: set[tuple[str, str]] | None = None  # (id, base) for --cache-to
        self.base_layers: set[str] = set()  # the FROM images' (a min cache leaves them out)
        self.downloaded: set[Path] = set()  # ADD's URL files: copied, never extracted
        self.sources: dict[str, str] = {}  # stage key -> its root, mounted for COPY --from
        self.named_states: dict[str, State] = {}  # --build-context folders, as stages

    def needed(self, target: Stage) -> dict[int, frozenset[int]]:
        """The stages ``target`` needs (itself too), each with the ones it reads."""
        return stages.needed(self.plan, target, self.global_args)

    def build(self, graph: Mapping[int, frozenset[int]], target: Stage) -> State:
        """The stages of ``graph`` (``needed``), up to ``target``: its result. Stages
        that do not depend on each other build at once, up to one per core."""
        self.total = sum(1 + len(s.nodes) for s in self.plan.stages if s.index in graph)
        state = None
        try:
            limit = stages.parallelism()
            if limit > 1 and stages.independent(graph):
                from . import parallel  # threads: only for a build that can use them

                return parallel.build(self, graph, target, limit)
            for stage in self.plan.stages:
                if stage.index in graph:
                    state = self.stage(stage)
                    self.finished[stage.index] = state
                    if stage is target:
                        break
        finally:
            self.close()
        assert state is not None
        return state

    def _no_cache(self, stage: Stage) -> bool:
        """``--no-cache``, or ``--no-cache-filter`` naming this stage."""
        return self.settings.no_cache or stage.name in self.settings.no_cache_filter

    # -- stages -------------------------------------------------------------------------
    def _declare(self, known: dict[str, str], nodes: list[Node]) -> dict[str, str]:
        """ARG lines: each name's value from --build-arg, else its default."""
        build_args = self.settings.build_args
        args = dict(known)
        for node in nodes:
            for word in process_words(node.text, args):
                name, eq, default = word.partition("=")
                if name in build_args and build_args[name] is not None:
                    args[name] = str(build_args[name])
                elif eq:
                    args[name] = default
                elif name in self.global_args:
                    args[name] = self.global_args[name]
        return args

    def stage(self, stage: Stage) -> State:
        self.step_no += 1
        base = process_word(stage.base, self.global_args)
        self.out(
            f"Step {self.step_no}/{self.total} : FROM "
            + (f"--platform={stage.platform} " if stage.platform else "")
            + stage.base
            + (f" AS {stage.name}" if stage.name else "")
        )
        state = self._from(base, stage)
        self.out(f" ---> {cache.short(state.key)}")
        keys = self.step_keys.setdefault(stage.index, [])  # what a cache export holds
        for trigger in state.config.get("OnBuild") or []:
            node = parse_line(trigger, stage.line)
            self.out(f" ---> Running ONBUILD trigger: {trigger}")
            state = self.step(state, node, stage)
            keys.append(state.key)
        if state.config.get("OnBuild"):
            state.config["OnBuild"] = None
        for node in stage.nodes:
            self.checkpoint()
            self.step_no += 1
            self.out(f"Step {self.step_no}/{self.total} : {node.source}")
            state = self.step(state, node, stage)
            keys.append(state.key)
        return state

    def _image(self, name: str, line: int) -> str:
        """An image by name: the store's, else pulled (``--pull``: pulled first)."""
        if not self.settings.pull:
            try:
                return self.on_main(lambda: self.f.resolve(name))
            except ImageNotFound:
                pass
        from ..registry.client import RegistryError  # ssl, urllib: only for a pull

        try:
            return self.on_main(lambda: self.f.pull(name, self.out))
        except (RegistryError, ImageNotFound) as e:
            raise DockerfileError(self.name, line, f"{name}: {e}") from None

    def _from(self, base: str, stage: Stage) -> State:
        named = self.settings.contexts.get(base)  # --build-context: wins over a stage
        if named is not None and named.folder is not None:
            return self._named_folder(base, stage)
        if named is not None:
            base = named.image
        earlier = self.plan.stage(base) if named is None else None
        if earlier is not None and earlier.index < stage.index:
            done = self.finished[earlier.index]
            return State(done.key, copy.deepcopy(done.image), list(done.layers), list(done.shell))
        if base == "scratch":
            from ..image.host import host_platform

            os_name, arch = host_platform()
            return State("scratch", {"architecture": arch, "os": os_name, "config": {}}, [])
        image_id = self._image(base, stage.line)
        image = loads(self.store.content.read(image_id))
        layers = list(image.get("rootfs", {}).get("diff_ids", []))
        self.base_layers.update(layers)
        image.pop("rootfs", None)
        kept = {
            k: v
            for k, v in image.items()
            if k in ("architecture", "os", "variant", "config", "history")
        }
        return State("image:" + image_id, kept, layers)

    # -- one step -------------------------------------------------------------------------
    def step(self, state: State, node: Node, stage: Stage) -> State:
        op = node.instruction
        if op == "ARG":
            new = state.clone()
            new.args = self._declare(state.args, [node])
            return self._metadata(state, new, node, stage, f"ARG {node.text}")
        if op in ("RUN", "COPY", "ADD"):
            return self._layer_step(state, node, stage)
        new = state.clone()
        created_by = f"{op} {node.text}"
        try:
            if op == "SHELL":
                new.shell = list(node.json or [])
                new.config["Shell"] = new.shell
            elif op == "MAINTAINER":
                new.image["author"] = process_word(node.text, state.env())
            elif op == "HEALTHCHECK":
                new.config["Healthcheck"] = config_ops.healthcheck(node)
            elif op == "ONBUILD":
                new.config["OnBuild"] = [*(new.config.get("OnBuild") or []), node.text]
            else:
                cstate = config_ops.ConfigState(new.config, shell=new.shell)
                config_ops.apply(cstate, node, state.args)
                new.image["config"] = cstate.config
        except InvalidArgument as e:
            raise DockerfileError(self.name, node.line, str(e)) from None
        return self._metadata(state, new, node, stage, created_by)

    def _cached(self, key: str) -> CacheRow | None:
        """The step's cache entry: the store's, else an imported cache's (fetched)."""
        entry = cache.cached(self.store, key)
        if entry is None and self.imported is not None and self.imported.fetch(self.store, key):
            entry = cache.cached(self.store, key)
        return entry

    def _probe(self, node: Node, stage: Stage) -> str:
        return cache.probe(self.identity, stage.index, node.source)

    def _metadata(
        self, state: State, new: State, node: Node, stage: Stage, created_by: str
    ) -> State:
        # arg values are not part of a state's key: as in Docker, a changed build arg
        # misses at the first RUN that sees it (or the first step that expands it)
        inputs = {"parent": state.key, "config": new.config}
        key = cache.key(state.key, node.source, inputs, new.shell)
        new.key = key
        entry = self._cached(key)
        reuse = state.missed_at is None and not self._no_cache(stage)
        if entry is not None and reuse and self.settings.epoch is None:
            # every step so far came from the cache: keep its times, so that a fully
            # cached rebuild gives the same image ID, as Docker's does
            new.image["history"] = loads(entry.history)
        else:
            new.image["history"] = [
                *(state.image.get("history") or []),
                {"created": self.settings.now(), "created_by": created_by, "empty_layer": True},
            ]
        if entry is None:
            cache.record(self.store, key, self._probe(node, stage), new, inputs, None)
        self.out(f" ---> {cache.short(key)}")
        return new

    def _layer_step(self, state: State, node: Node, stage: Stage) -> State:
        op = node.instruction
        probe = self._probe(node, stage)
        inputs: dict[str, Any] = {"parent": state.key}
        sources: copy_step.Sources = []
        mounts: list[Mount] = []
        if op == "RUN":
            inputs["args"] = dict(state.args)  # RUN sees them all, in its environment
            inputs["shell"] = state.shell
            inputs["network"] = self.settings.network
            if self.settings.add_hosts:
                inputs["hosts"] = list(self.settings.add_hosts)
            mounts = run_mounts.parse(node, state.env(), self.name)
            files, refs = run_mounts.key_inputs(mounts, self._mount_sources(), node, self.name)
            if self.mounts_used is not None:  # their content goes with the cache
                self.mounts_used.update(
                    run_mounts.cache_ids(mounts, self._mount_sources(), node, self.name)
                )
            if files:
                inputs["files"] = files  # what bind mounts show, by digest, as COPY's
            if refs:
                inputs["mounts"] = refs
        else:
            words = node.json if node.json is not None else process_words(node.text, state.env())
            inputs["words"] = words  # after expansion: an arg used here counts
            sources, inputs["files"] = copy_step.inputs(
                self._source_context(node),
                words[:-1],
                node,
                lambda url: self._download(url, node),
                self.name,
            )
            inputs["flags"] = node.flags
        if self.settings.epoch is not None:  # its layer's times are clamped to it
            inputs.setdefault("args", {})["SOURCE_DATE_EPOCH"] = str(self.settings.epoch)
        key = cache.key(cache.LAYER_FORMAT, state.key, node.source, inputs)
        entry = None if self._no_cache(stage) else self._cached(key)
        if entry is not None:
            cache.touch(self.store, key)
            self.out(" ---> Using cache")
            self.out(f" ---> {cache.short(key)}")
            return State(
                key,
                {
                    **state.image,
                    "config": loads(entry.config),
                    "history": loads(entry.history),
                },
                list(entry.layers),
                list(state.shell),
                dict(state.args),
            )
        elsewhere = self.imported.by_probe if self.imported is not None else None
        why = (
            f"--no-cache-filter {stage.name}"
            if stage.name in self.settings.no_cache_filter
            else cache.why(self.store, self.settings.no_cache, state, probe, inputs, elsewhere)
        )
        self.out(f" ---> Cache miss: {why}")
        new = state.clone()
        new.key = key
        if state.missed_at is None:
            new.missed_at = self.step_no
        from . import step_fs

        lowers = self._lowers(state)
        prepared = None
        with step_fs.mounted(self.store, lowers) as fs:
            step_fs.make_workdir(fs.root, state.config)
            if op == "RUN":
                from pathlib import Path  # RUN's mounts work on Paths; COPY needs none

                from . import run_step

                insecure = node.flags.get("security") == "insecure"
                with ExitStack() as held:  # the mounts' views, caches and secrets
                    if mounts:
                        prepared = run_mounts.prepare(
                            mounts,
                            Path(fs.root),
                            Path(fs.upper),
                            state.config.get("WorkingDir") or "/",
                            self._mount_sources(),
                            held,
                            node,
                            self.name,
                        )
                    created_by = run_step.run(
                        self.f.runtime,
                        self.settings,
                        state,
                        node,
                        fs,
                        self._sandbox,
                        self.out,
                        self.name,
                        prepared,
                        self.f.scratch,
                        self.f.all_capabilities if insecure else None,
                    )
                if prepared is not None:
                    prepared.stubs.remove(Path(fs.root))
            else:
                created_by = copy_step.copy(
                    state, node, words, fs, sources, self.downloaded, self.name
                )
        if prepared is not None:
            from pathlib import Path

            prepared.stubs.tidy(Path(fs.upper))
        staged = step_fs.seal(self.store, fs.work, self.settings.epoch)
        new.layers = [*state.layers, staged.diff_id]
        new.image["history"] = [
            *(state.image.get("history") or []),
            {"created": self.settings.now(), "created_by": created_by},
        ]
        try:
            cache.record(self.store, key, probe, new, inputs, staged)
        except BaseException:
            staged.discard(self.store)
            raise
        self.out(f" ---> {cache.short(key)}")
        return new

    def _lowers(self, state: State) -> list[StrPath]:
        image = self.store.layers.lower_paths(state.layers)
        init = os.path.join(self.store.layers.tmp_dir, temp_name())
        self.f.init_layer(init, image)
        self.cleanup.callback(remove_tree, init)
        return [init, *image]

    # -- what RUN and COPY/ADD use --------------------------------------------------------
    def _download(self, url: str, node: Node) -> Path:
        """ADD's URL, fetched into a folder of its own that goes with the build."""
        import shutil
        from pathlib import Path

        folder = Path(self.store.layers.tmp_dir, temp_name())
        folder.mkdir()
        self.cleanup.callback(shutil.rmtree, folder, True)
        path = copy_step.download(url, folder, node, self.name)
        self.downloaded.add(path)
        return path

    def close(self) -> None:
        """Unmount what COPY --from read; remove the init layers and downloads; take
        the RUN steps' network namespace off the bridge."""
        self.cleanup.close()

    def _sandbox(self) -> tuple[str, str]:
        """The network namespace (its path, its address on the default bridge) that
        the build's RUN steps share: made at the first one, gone with the build."""
        return self.on_main(self._join_bridge)

    def _join_bridge(self) -> tuple[str, str]:
        if not self.sandbox:
            step_id = "build-" + os.urandom(12).hex()
            self.sandbox.append(self.cleanup.enter_context(self.f.sandbox(step_id)))
        return self.sandbox[0]
