"""Where a build step reads from besides the build context: earlier stages, images,
and ``--build-context`` names (named_contexts.py) for ``COPY --from`` and ``RUN
--mount=…,from=``, each stage's or image's files mounted once, read-only, for the
build's length. A part of the runner (runner.py), kept apart for its size.
"""

from __future__ import annotations

from contextlib import ExitStack

from ..errors import DockerfileError, ImageNotFound, InvalidArgument, PortsideError
from . import run_mounts
from .context import BuildContext
from .parser import Node, parse_line
from .state import State

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from ..store.store import Store
    from .instructions import BuildPlan, Stage
    from .runner import Facilities
    from .settings import BuildSettings
    from .stages import OnMain


class Sources:
    """The runner's sources (a mixin of Runner, whose attributes these are)."""

    f: Facilities
    store: Store
    settings: BuildSettings
    context: BuildContext
    plan: BuildPlan
    name: str
    finished: dict[int, State]
    sources: dict[str, str]
    named_states: dict[str, State]
    cleanup: ExitStack
    on_main: OnMain

    def _image(self, name: str, line: int) -> str:
        raise NotImplementedError

    def _from(self, base: str, stage: Stage) -> State:
        raise NotImplementedError

    def step(self, state: State, node: Node, stage: Stage) -> State:
        raise NotImplementedError

    def _named_folder(self, name: str, stage: Stage) -> State:
        """A ``--build-context`` folder as a stage's base: its files as one layer over
        scratch, through COPY (cached by their content as COPY's are)."""
        scratch = self._from("scratch", stage)
        return self.step(scratch, parse_line(f"COPY --from={name} . /", stage.line), stage)

    def _source_context(self, node: Node) -> BuildContext:
        ref = node.flags.get("from")
        if ref is None:
            return self.context
        named = self.settings.contexts.get(ref)
        if named is not None and named.folder is not None:
            return BuildContext.open(named.folder)
        if named is not None:
            ref = named.image
        stage = self.plan.stage(ref) if named is None else None
        if stage is not None and stage.index in self.finished:
            return BuildContext(str(self._readonly_root(self.finished[stage.index])))
        if stage is None:  # not a stage: an image, as Docker allows (COPY --from=busybox)
            try:
                image_id: str | None = self._image(ref, node.line)
            except PortsideError:  # not a name of an image here either
                image_id = None
            if image_id is not None:
                layers = self.store.meta.image_layers(image_id)
                root = self._readonly_root(State("image:" + image_id, {}, layers))
                return BuildContext(str(root))
        raise DockerfileError(
            self.name, node.line, f"COPY --from={ref}: no such stage before this one or image"
        )

    def _mount_sources(self) -> run_mounts.MountSources:
        return run_mounts.MountSources(
            self.context,
            lambda ref: self._from_state(ref).key,
            lambda ref: self._readonly_root(self._from_state(ref)),
            lambda: self.store.cache_mounts,
            self.settings.secrets,
            self.f.scratch,
            self.store.layers.tmp_dir,
            self.settings.ssh,
        )

    def _from_state(self, ref: str) -> State:
        """``--mount from=REF``: an earlier stage's result, or an image's."""
        named = self.settings.contexts.get(ref)
        if named is not None and named.folder is not None:
            if ref not in self.named_states:
                self.named_states[ref] = self._named_folder(ref, self.plan.stages[0])
            return self.named_states[ref]
        if named is not None:
            ref = named.image
        stage = self.plan.stage(ref) if named is None else None
        if stage is not None and stage.index in self.finished:
            return self.finished[stage.index]
        if stage is None:
            try:
                image_id = self.on_main(lambda: self.f.resolve(ref))
            except ImageNotFound:
                image_id = ""
            if image_id:
                return State("image:" + image_id, {}, self.store.meta.image_layers(image_id))
        raise InvalidArgument(f"from={ref}: no such stage before this one or image")

    def _readonly_root(self, state: State) -> str:
        """A stage's result, mounted for COPY --from to read (unmounted at the end)."""
        return self.on_main(lambda: self._mount_root(state))  # once, whatever the thread

    def _mount_root(self, state: State) -> str:
        if state.key not in self.sources:
            from . import step_fs

            lowers = self.store.layers.lower_paths(state.layers)
            mount = ExitStack()
            fs = mount.enter_context(step_fs.mounted(self.store, lowers))
            # its empty layer goes after the unmount (last in, first out), not through it
            self.cleanup.callback(self.store.layers.discard, fs.work)
            self.cleanup.push(mount)
            self.sources[state.key] = fs.root
        return self.sources[state.key]
