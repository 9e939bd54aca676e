"""``build``: a Dockerfile and a context into an image, step by step, with a layer cache
that says why every miss missed.

Each step's cache key hashes its parent's key, the step (after expansion where the
builder expands it), the build args it can see and, for COPY/ADD, the digests of the
files it copies (content, mode, owner, link target; never the time). A step whose key
is cached is reused with its config and layers; the first that is not runs, and so does
every later step of that stage. To say why, each cache entry also records what its key
hashed, found again by a probe key (the same step of the same Dockerfile, whatever its
inputs): the difference is the reason ("changed server.js (+2 more)", "build arg V
changed", "base image busybox changed", "--no-cache").

Steps run in order; RUN in a runc container of the step's filesystem, COPY/ADD without a
container (builder/step_fs.py). Each new layer and cache entry is published as soon as its
step succeeds, so a failed build keeps the cache of the steps before the failure and
tags nothing.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import posixpath
import re
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..builder import config_ops
from ..builder.context import BuildContext
from ..builder.dockerfile import decode, parse
from ..builder.instructions import BuildPlan, Stage, plan
from ..builder.parser import Node, parse_line
from ..builder.shell import process_word, process_words
from ..errors import DockerfileError, ImageNotFound, InvalidArgument, NotFound, PortsideError
from ..image.ingest import StagedLayer, existing_layer
from ..image.manifest import canonical_json
from ..image.publish import publish_image
from ..records import dataclass, field
from ..store.metadata import CacheRow
from ..store.tempnames import temp_name
from ..timefmt import duration_ns, now_rfc3339
from .images import ImageService, new_tag

if TYPE_CHECKING:  # only a step that misses needs them: a cached build starts faster
    from ..builder import step_fs
    from ..runtime.runc import Runtime
    from .endpoints import EndpointService

Output = Callable[[str], None]
# RUN's networks, as BuildKit's: default (the default bridge; "bridge" names it too)
NETWORK_MODES = ("default", "bridge", "none", "host")
# flags the parser knows (BuildKit's) that this builder cannot honour yet: refused
# with a clear error rather than ignored (--link needs nothing: the result is the same)
NOT_YET = {
    "RUN": ("mount", "security"),
    "COPY": ("parents", "exclude"),
    "ADD": ("checksum", "keep-git-dir"),
}
_ONLY_HEREDOC = re.compile(r"<<-?(?:\"[^\"]*\"|'[^']*'|[A-Za-z0-9_.-]+)")
_VAR = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")
DEFAULT_SHELL = ["/bin/sh", "-c"]
# build args Docker knows without an ARG line (proxies); seen by RUN, never kept
PREDEFINED_ARGS = (
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "FTP_PROXY",
    "ftp_proxy",
    "NO_PROXY",
    "no_proxy",
    "ALL_PROXY",
    "all_proxy",
)


@dataclass(frozen=True)
class BuildOptions:
    context: Path | None = None  # None: context_archive's files, or none at all
    dockerfile: Path | None = None  # default: context/Dockerfile; a relative one in context
    context_archive: bytes | None = None  # build -: a tar of the context, or a Dockerfile
    dockerfile_text: bytes | None = None  # -f - : read from stdin
    tags: tuple[str, ...] = ()
    build_args: dict[str, str | None] = field(default_factory=dict)
    target: str | None = None
    no_cache: bool = False
    labels: dict[str, str] = field(default_factory=dict)
    network: str = "default"
    pull: bool = False  # --pull: pull FROM images even when the store has them


@dataclass
class State:
    """An image being built: its config JSON (without rootfs) and its layers."""

    key: str
    image: dict[str, Any]
    layers: list[str]
    shell: list[str] = field(default_factory=lambda: list(DEFAULT_SHELL))
    args: dict[str, str] = field(default_factory=dict)  # ARGs declared in the stage
    missed_at: int | None = None  # the step number of this stage's first miss

    @property
    def config(self) -> dict[str, Any]:
        cfg: dict[str, Any] = self.image.setdefault("config", {})
        return cfg

    def env(self) -> dict[str, str]:
        """What ``$VAR`` expands to: build args, then ENV (which wins)."""
        return {**self.args, **config_ops.env_map(self.config.get("Env"))}


# part of every layer step's cache key: raised when what a step writes changes, so an
# older portside's layers are not reused (2: WORKDIR's directory is made)
LAYER_FORMAT = 2


def _key(*parts: Any) -> str:
    return "sha256:" + hashlib.sha256(canonical_json(list(parts))).hexdigest()


class BuildService:
    def __init__(
        self,
        images: ImageService,
        runtime: Runtime,
        pull: Callable[[str, Output], str],
        endpoints: Callable[[], EndpointService],
    ) -> None:
        self.images = images
        self.store = images.store
        self.runtime = runtime
        self.pull = pull  # the registry's pull, imported only when an image is missing
        self.endpoints = endpoints  # made only when a RUN step needs the bridge

    # -- the whole build ------------------------------------------------------------
    def build(self, opts: BuildOptions, out: Output) -> str:
        """Build; the image ID. ``out`` gets the progress lines."""
        if opts.context is None:
            return self._build_sent(opts, out)
        # bad tags fail before anything runs
        refs = [r for r in (new_tag(t) for t in opts.tags) if r is not None]
        context = BuildContext.open(opts.context)
        stat_file = self._stat_cache_file(context.root)
        context.load_stat_cache(stat_file)
        dockerfile_path = opts.context / (opts.dockerfile or "Dockerfile")
        if opts.dockerfile_text is not None:
            data, name = opts.dockerfile_text, "Dockerfile"
        else:
            try:
                data = dockerfile_path.read_bytes()
            except FileNotFoundError:
                raise InvalidArgument(
                    f"unable to prepare context: unable to evaluate symlinks in Dockerfile "
                    f"path: lstat {dockerfile_path}: no such file or directory"
                ) from None
            name = dockerfile_path.name
        build_plan = plan(parse(decode(data, name), name))
        identity = str(dockerfile_path.resolve()) if opts.dockerfile_text is None else "-"
        target = self._target(build_plan, opts.target)
        needed = self._needed(build_plan, target)
        total = sum(1 + len(s.nodes) for s in build_plan.stages if s.index in needed)
        run = _Run(self, opts, context, build_plan, identity, out, total, name)
        state = None
        try:
            for stage in build_plan.stages:
                if stage.index in needed:
                    state = run.stage(stage)
                    run.finished[stage.index] = state
                    if stage is target:
                        break
        finally:
            run.close()
            context.save_stat_cache(stat_file)
        assert state is not None
        if opts.labels:
            labels = dict(state.config.get("Labels") or {})
            labels.update(opts.labels)
            state.config["Labels"] = labels
        image_id = self._publish(state)
        out(f"Successfully built {image_id.removeprefix('sha256:')[:12]}")
        created = now_rfc3339()
        with self.store.writing():
            for ref in refs:
                self.store.meta.set_tag(str(ref), image_id, created)
        for ref in refs:
            out(f"Successfully tagged {ref.familiar()}")
        return image_id

    def _build_sent(self, opts: BuildOptions, out: Output) -> str:
        """A build whose context came as bytes (or is empty): unpacked in a folder that
        lives as long as the build."""
        import tempfile

        from ..builder.context import unpack
        from ..records import replace

        with tempfile.TemporaryDirectory(prefix="portside-context-") as tmp:
            text = opts.dockerfile_text
            archive = opts.context_archive
            if archive is not None and not unpack(archive, Path(tmp)) and text is None:
                text = archive
            sent = replace(opts, context=Path(tmp), context_archive=None, dockerfile_text=text)
            return self.build(sent, out)

    def _stat_cache_file(self, context_root: Path) -> Path:
        name = hashlib.sha256(str(context_root).encode()).hexdigest()[:32]
        return self.store.root / "build-stat" / f"{name}.json"

    def _target(self, build_plan: BuildPlan, target: str | None) -> Stage:
        if target is None:
            return build_plan.stages[-1]
        stage = build_plan.stage(target)
        if stage is None:
            raise InvalidArgument(f"target stage {target!r} could not be found")
        return stage

    def _needed(self, build_plan: BuildPlan, target: Stage) -> set[int]:
        """The stages ``target`` depends on (FROM a stage, COPY --from a stage), itself too."""
        needed: set[int] = set()
        pending = [target]
        while pending:
            stage = pending.pop()
            if stage.index in needed:
                continue
            needed.add(stage.index)
            refs = [stage.base] + [
                n.flags["from"]
                for n in stage.nodes
                if n.instruction == "COPY" and "from" in n.flags
            ]
            for ref in refs:
                dep = build_plan.stage(ref)
                if dep is not None and dep.index < stage.index:
                    pending.append(dep)
        return needed

    def _publish(self, state: State) -> str:
        image = copy.deepcopy(state.image)
        image["rootfs"] = {"type": "layers", "diff_ids": list(state.layers)}
        # the time of the newest step, as BuildKit: a rebuild from the cache is the same image
        history = image.get("history") or []
        image["created"] = (history[-1].get("created") if history else None) or now_rfc3339()
        with self.store.writing() as publisher:
            layers = []
            for diff_id in state.layers:
                layer = existing_layer(self.store, diff_id)
                if layer is None:
                    raise NotFound(f"layer {diff_id} of the build is missing from the store")
                layers.append(layer)
            return publish_image(self.store, publisher, canonical_json(image), layers)

    # -- cache ------------------------------------------------------------------------
    def prune(self, all: bool = False) -> tuple[list[str], int]:
        """``builder prune``: drop cache entries (with ``all`` every one, else those whose
        layers no image uses), then the layers nothing needs; (keys, bytes reclaimed)."""
        meta = self.store.meta
        with self.store.lock:
            keys = meta.cache_keys()
            if not all:
                used = {d for image in meta.images() for d in meta.image_layers(image.id)}
                keys = [
                    k
                    for k in keys
                    if (entry := meta.cache_entry(k)) is not None and not set(entry.layers) <= used
                ]
            before = meta.layer_sizes(meta.all_layers())
            with meta.transaction():
                meta.remove_cache_entries(keys)
            self.store.collect_garbage()
            after = set(meta.all_layers())
        return keys, sum(size for d, size in before.items() if d not in after)

    def cached(self, key: str) -> CacheRow | None:
        entry = self.store.meta.cache_entry(key)
        if entry is None:
            return None
        if not all(self.store.layers.exists(d) for d in entry.layers):
            return None  # its layers were pruned: run the step again
        return entry

    def record(
        self, key: str, probe: str, state: State, inputs: dict[str, Any], staged: StagedLayer | None
    ) -> None:
        entry = CacheRow(
            key,
            probe,
            json.dumps(state.image.get("config") or {}),
            json.dumps(state.image.get("history") or []),
            json.dumps(inputs),
            list(state.layers),
        )
        with self.store.writing() as publisher:
            if staged is not None:
                staged.publish(self.store, publisher)
            self.store.meta.add_cache_entry(entry, time.time())


class _Run:
    """One build: the steps of the needed stages, in order, with their output."""

    def __init__(
        self,
        service: BuildService,
        opts: BuildOptions,
        context: BuildContext,
        build_plan: BuildPlan,
        identity: str,
        out: Output,
        total: int,
        name: str,
    ) -> None:
        self.s = service
        self.name = name  # the Dockerfile's name, for "NAME:LINE: ..." errors
        self.opts = opts
        self.context = context
        self.plan = build_plan
        self.identity = identity
        self.out = out
        self.total = total
        self.step_no = 0
        self.finished: dict[int, State] = {}
        self.global_args: dict[str, str] = {}
        self.global_args = self._declare({}, build_plan.global_args)
        self.cleanup = ExitStack()  # init layers, downloads, COPY --from mounts: at close
        self.sandbox: tuple[str, str] | None = None  # RUN steps' network namespace
        self.downloaded: set[Path] = set()  # ADD's URL files: copied, never extracted
        self.sources: dict[str, Path] = {}  # stage key -> its root, mounted for COPY --from

    # -- stages -------------------------------------------------------------------------
    def _declare(self, known: dict[str, str], nodes: list[Node]) -> dict[str, str]:
        """ARG lines: each name's value from --build-arg, else its default."""
        args = dict(known)
        for node in nodes:
            for word in process_words(node.text, args):
                name, eq, default = word.partition("=")
                if name in self.opts.build_args and self.opts.build_args[name] is not None:
                    args[name] = str(self.opts.build_args[name])
                elif eq:
                    args[name] = default
                elif name in self.global_args:
                    args[name] = self.global_args[name]
        return args

    def stage(self, stage: Stage) -> State:
        self.step_no += 1
        base = process_word(stage.base, self.global_args)
        self.out(
            f"Step {self.step_no}/{self.total} : FROM {stage.base}"
            + (f" AS {stage.name}" if stage.name else "")
        )
        state = self._from(base, stage)
        self.out(f" ---> {_short(state.key)}")
        for trigger in state.config.get("OnBuild") or []:
            node = parse_line(trigger, stage.line)
            self.out(f" ---> Running ONBUILD trigger: {trigger}")
            state = self.step(state, node, stage)
        if state.config.get("OnBuild"):
            state.config["OnBuild"] = None
        for node in stage.nodes:
            self.step_no += 1
            self.out(f"Step {self.step_no}/{self.total} : {node.source}")
            state = self.step(state, node, stage)
        return state

    def _image(self, name: str, line: int) -> str:
        """An image by name: the store's, else pulled (``--pull``: pulled first)."""
        if not self.opts.pull:
            try:
                return self.s.images.resolve(name)[0]
            except ImageNotFound:
                pass
        from ..registry.client import RegistryError  # ssl, urllib: only for a pull

        try:
            return self.s.pull(name, self.out)
        except (RegistryError, ImageNotFound) as e:
            raise DockerfileError(self.name, line, f"{name}: {e}") from None

    def _from(self, base: str, stage: Stage) -> State:
        earlier = self.plan.stage(base)
        if earlier is not None and earlier.index < stage.index:
            done = self.finished[earlier.index]
            return State(done.key, copy.deepcopy(done.image), list(done.layers), list(done.shell))
        if base == "scratch":
            from ..image.archive_read import host_platform

            os_name, arch = host_platform()
            return State("scratch", {"architecture": arch, "os": os_name, "config": {}}, [])
        image_id = self._image(base, stage.line)
        image = json.loads(self.s.store.content.read(image_id))
        layers = list(image.get("rootfs", {}).get("diff_ids", []))
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
            new = _copy_state(state)
            new.args = self._declare(state.args, [node])
            return self._metadata(state, new, node, stage, f"ARG {node.text}")
        if op in ("RUN", "COPY", "ADD"):
            return self._layer_step(state, node, stage)
        new = _copy_state(state)
        created_by = f"{op} {node.text}"
        try:
            if op == "SHELL":
                new.shell = list(node.json or [])
                new.config["Shell"] = new.shell
            elif op == "MAINTAINER":
                new.image["author"] = process_word(node.text, state.env())
            elif op == "HEALTHCHECK":
                new.config["Healthcheck"] = _healthcheck(node)
            elif op == "ONBUILD":
                new.config["OnBuild"] = [*(new.config.get("OnBuild") or []), node.text]
            else:
                cstate = config_ops.ConfigState(new.config, shell=new.shell)
                config_ops.apply(cstate, node, state.args)
                new.image["config"] = cstate.config
        except InvalidArgument as e:
            raise DockerfileError(self.name, node.line, str(e)) from None
        return self._metadata(state, new, node, stage, created_by)

    def _probe(self, node: Node, stage: Stage) -> str:
        return _key("probe", self.identity, stage.index, node.source)

    def _metadata(
        self, state: State, new: State, node: Node, stage: Stage, created_by: str
    ) -> State:
        # arg values are not part of a state's key: as in Docker, a changed build arg
        # misses at the first RUN that sees it (or the first step that expands it)
        inputs = {"parent": state.key, "config": new.config}
        key = _key(state.key, node.source, inputs, new.shell)
        new.key = key
        entry = self.s.cached(key)
        if entry is not None and state.missed_at is None and not self.opts.no_cache:
            # every step so far came from the cache: keep its times, so that a fully
            # cached rebuild gives the same image ID, as Docker's does
            new.image["history"] = json.loads(entry.history)
        else:
            new.image["history"] = [
                *(state.image.get("history") or []),
                {"created": now_rfc3339(), "created_by": created_by, "empty_layer": True},
            ]
        if entry is None:
            self.s.record(key, self._probe(node, stage), new, inputs, None)
        self.out(f" ---> {_short(key)}")
        return new

    def _layer_step(self, state: State, node: Node, stage: Stage) -> State:
        op = node.instruction
        for flag in NOT_YET.get(op, ()):
            if flag in node.flags:
                raise DockerfileError(self.name, node.line, f"{op} --{flag} is not supported yet")
        probe = self._probe(node, stage)
        inputs: dict[str, Any] = {"parent": state.key}
        sources: list[tuple[BuildContext, str, Path]] = []
        if op == "RUN":
            inputs["args"] = dict(state.args)  # RUN sees them all, in its environment
            inputs["shell"] = state.shell
            inputs["network"] = self.opts.network
        else:
            words = node.json if node.json is not None else process_words(node.text, state.env())
            inputs["words"] = words  # after expansion: an arg used here counts
            sources, inputs["files"] = self._copy_inputs(words[:-1], node)
            inputs["flags"] = node.flags
        key = _key(LAYER_FORMAT, state.key, node.source, inputs)
        entry = None if self.opts.no_cache else self.s.cached(key)
        if entry is not None:
            self.s.store.meta.touch_cache_entry(key, time.time())
            self.out(" ---> Using cache")
            self.out(f" ---> {_short(key)}")
            return State(
                key,
                {
                    **state.image,
                    "config": json.loads(entry.config),
                    "history": json.loads(entry.history),
                },
                list(entry.layers),
                list(state.shell),
                dict(state.args),
            )
        self.out(f" ---> Cache miss: {self._why(state, probe, inputs)}")
        new = _copy_state(state)
        new.key = key
        if state.missed_at is None:
            new.missed_at = self.step_no
        from ..builder import step_fs

        lowers = self._lowers(state)
        with step_fs.mounted(self.s.store, lowers) as fs:
            _make_workdir(fs.root, state.config)
            if op == "RUN":
                created_by = self._run(state, node, fs)
            else:
                created_by = self._copy(state, node, words, fs, sources)
        staged = step_fs.seal(self.s.store, fs.work)
        new.layers = [*state.layers, staged.diff_id]
        new.image["history"] = [
            *(state.image.get("history") or []),
            {"created": now_rfc3339(), "created_by": created_by},
        ]
        try:
            self.s.record(key, probe, new, inputs, staged)
        except BaseException:
            staged.discard(self.s.store)
            raise
        self.out(f" ---> {_short(key)}")
        return new

    def _why(self, state: State, probe: str, inputs: dict[str, Any]) -> str:
        if self.opts.no_cache:
            return "--no-cache"
        if state.missed_at is not None:
            return f"after step {state.missed_at}'s miss"
        previous = self.s.store.meta.cache_by_probe(probe)
        if previous is None:
            return "not built before"
        before = json.loads(previous.inputs)
        old_args, new_args = before.get("args") or {}, inputs.get("args") or {}
        for name in sorted(set(old_args) | set(new_args)):
            if old_args.get(name) != new_args.get(name):
                old, new = old_args.get(name), new_args.get(name)
                return f"build arg {name} changed ({old!r} -> {new!r})"
        old_parent, new_parent = str(before.get("parent", "")), str(inputs.get("parent", ""))
        if old_parent != new_parent:
            if old_parent.startswith("image:") and new_parent.startswith("image:"):
                return f"the base image changed ({_short(old_parent)} -> {_short(new_parent)})"
            return "an earlier step changed"
        old_files, new_files = before.get("files") or {}, inputs.get("files") or {}
        if old_files != new_files:
            changed = sorted(
                p for p in new_files if p in old_files and old_files[p] != new_files[p]
            )
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
        return "its inputs changed"

    def _lowers(self, state: State) -> list[Path]:
        from .containers import write_init_layer

        image = [self.s.store.layers.diff_path(d) for d in reversed(state.layers)]
        import shutil

        init = self.s.store.layers.tmp_dir / temp_name()
        write_init_layer(init, image, with_init=False)
        self.cleanup.callback(shutil.rmtree, init, True)
        return [init, *image]

    # -- RUN ----------------------------------------------------------------------------
    def _run(self, state: State, node: Node, fs: step_fs.StepFS) -> str:
        from ..builder import step_fs
        from ..network.hostfiles import write_host_files
        from ..runtime.spec import Bind, ProcessSpec

        cfg = state.config
        if node.json is not None:
            argv = list(node.json)
            shown = f"RUN {json.dumps(argv)}"
        elif node.heredocs and _ONLY_HEREDOC.fullmatch(node.text.strip()):
            # the heredoc is the script: its shell expands what it holds when it runs
            argv = [*state.shell, node.heredocs[0].content]
            shown = f"RUN {node.text}"
        else:
            # "RUN <<EOF cat > f": the shell gets the line and the bodies, as BuildKit
            # passes them, and reads each heredoc itself (quoting rules included)
            script = node.text + "".join(f"\n{d.content}{d.name}" for d in node.heredocs)
            argv = [*state.shell, script]
            shown = f"RUN {' '.join(state.shell)} {node.text}"
        env = list(cfg.get("Env") or [])
        keys = {e.partition("=")[0] for e in env}
        env += [f"{k}={v}" for k, v in state.args.items() if k not in keys]
        for name in PREDEFINED_ARGS:
            value = self.opts.build_args.get(name)
            if value is not None and name not in keys:
                env.append(f"{name}={value}")
        hostname = os.urandom(6).hex()
        bundle = fs.work.parent / (fs.work.name + "-bundle")
        bundle.mkdir()
        network = node.flags.get("network") or self.opts.network
        if network not in NETWORK_MODES:
            raise DockerfileError(
                self.name, node.line, f"RUN --network={network}: default, none or host"
            )
        namespace, ip = "", ""
        if network in ("default", "bridge"):  # the default bridge, as Docker's builders
            namespace, ip = self._sandbox()
        written = write_host_files(bundle, hostname, network == "host", ip)
        binds = [Bind(source, target) for source, target in written]
        self.out(f" ---> Running in {hostname}")
        code = step_fs.run_process(
            self.s.runtime,
            fs,
            bundle,
            ProcessSpec(args=argv, env=env, cwd=cfg.get("WorkingDir") or "/"),
            cfg.get("User") or "",
            hostname,
            binds,
            "host" if network == "host" else namespace,
            lambda line: self.out(line),
        )
        if code != 0:
            raise DockerfileError(
                self.name,
                node.line,
                f"The command '{' '.join(argv)}' returned a non-zero code: {code}",
            )
        return shown

    # -- COPY / ADD ----------------------------------------------------------------------
    def _copy_inputs(
        self, srcs: list[str], node: Node
    ) -> tuple[list[tuple[BuildContext, str, Path]], dict[str, str]]:
        """The sources (their context, relative path, host path) and their digests."""
        context = self._source_context(node)
        found: list[tuple[BuildContext, str, Path]] = []
        digests: dict[str, str] = {}
        for doc in node.heredocs:
            digests[f"<<{doc.name}"] = hashlib.sha256(doc.content.encode()).hexdigest()[:32]
        for src in srcs:
            if src.startswith("<<") and node.heredocs:
                continue
            if src.startswith(("http://", "https://")):
                if node.instruction == "COPY":
                    raise DockerfileError(self.name, node.line, "source can't be a URL for COPY")
                download = self._download(src, node)
                found.append((BuildContext(download.parent), download.name, download))
                digests[src] = BuildContext(download.parent).digests([download.name])[download.name]
                continue
            try:
                rels = context.sources(src)
            except InvalidArgument as e:
                raise DockerfileError(self.name, node.line, str(e)) from None
            if not rels:
                raise DockerfileError(
                    self.name,
                    node.line,
                    f"{node.instruction} failed: file not found in build context or excluded "
                    f"by .dockerignore: {src}",
                )
            for rel in rels:
                found.append((context, rel, context.host_path(rel)))
            digests.update(context.digests(rels))
        return found, digests

    def _download(self, url: str, node: Node) -> Path:
        """ADD's URL, fetched into a folder of its own: the file named as the URL's last
        path component, mode 0600 and the server's Last-Modified time, as Docker does.
        Its content digest is what the cache key hashes."""
        import email.utils
        import shutil
        import urllib.error
        import urllib.parse
        import urllib.request

        folder = self.s.store.layers.tmp_dir / temp_name()
        folder.mkdir()
        self.cleanup.callback(shutil.rmtree, folder, True)
        name = posixpath.basename(urllib.parse.urlparse(url).path) or "download"
        path = folder / name
        try:
            with urllib.request.urlopen(url, timeout=60) as response, open(path, "wb") as out:
                shutil.copyfileobj(response, out)
                modified = response.headers.get("Last-Modified")
        except (urllib.error.URLError, OSError, ValueError) as e:
            reason = getattr(e, "reason", e)
            raise DockerfileError(self.name, node.line, f"ADD {url}: {reason}") from None
        os.chmod(path, 0o600)
        self.downloaded.add(path)
        if modified:
            try:
                when = email.utils.parsedate_to_datetime(modified).timestamp()
                os.utime(path, (when, when))
            except (TypeError, ValueError):
                pass
        return path

    def _source_context(self, node: Node) -> BuildContext:
        ref = node.flags.get("from")
        if ref is None:
            return self.context
        stage = self.plan.stage(ref)
        if stage is not None and stage.index in self.finished:
            return BuildContext(self._readonly_root(self.finished[stage.index]))
        if stage is None:  # not a stage: an image, as Docker allows (COPY --from=busybox)
            try:
                image_id: str | None = self._image(ref, node.line)
            except PortsideError:  # not a name of an image here either
                image_id = None
            if image_id is not None:
                layers = self.s.store.meta.image_layers(image_id)
                return BuildContext(self._readonly_root(State("image:" + image_id, {}, layers)))
        raise DockerfileError(
            self.name, node.line, f"COPY --from={ref}: no such stage before this one or image"
        )

    def _readonly_root(self, state: State) -> Path:
        """A stage's result, mounted for COPY --from to read (unmounted at the end)."""
        if state.key not in self.sources:
            from ..builder import step_fs

            lowers = [self.s.store.layers.diff_path(d) for d in reversed(state.layers)]
            fs = self.cleanup.enter_context(step_fs.mounted(self.s.store, lowers))
            # after the unmount (callbacks run last-in first-out): its empty layer goes
            self.cleanup.callback(self.s.store.layers.discard, fs.work)
            self.sources[state.key] = fs.root
        return self.sources[state.key]

    def close(self) -> None:
        """Unmount what COPY --from read; remove the init layers and downloads; take
        the RUN steps' network namespace off the bridge."""
        self.cleanup.close()

    def _sandbox(self) -> tuple[str, str]:
        """The network namespace (its path, its address on the default bridge) that
        the build's RUN steps share: made at the first one, gone with the build."""
        if self.sandbox is None:
            step_id = "build-" + os.urandom(12).hex()
            self.sandbox = self.cleanup.enter_context(self.s.endpoints().sandbox(step_id))
        return self.sandbox

    def _copy(
        self,
        state: State,
        node: Node,
        words: list[str],
        fs: step_fs.StepFS,
        sources: list[tuple[BuildContext, str, Path]],
    ) -> str:
        from ..image.path_archive import Source, Target
        from ..image.path_archive import copy as copy_tree
        from ..runtime.scope import makedirs_in_root, resolve_in_root
        from ..runtime.users import resolve_user

        dest_text = words[-1]
        workdir = state.config.get("WorkingDir") or "/"
        dest = posixpath.normpath(posixpath.join(workdir, dest_text))
        to_dir = (
            dest_text in (".", "./")
            or dest_text.endswith(("/", "/."))
            or len(words) > 2
            or len(sources) > 1
        )
        owner = (0, 0)
        if "chown" in node.flags:
            user = resolve_user(fs.root, process_word(node.flags["chown"], state.env()))
            owner = (user.uid, user.gid)
        mode = None
        if "chmod" in node.flags:
            try:
                mode = int(node.flags["chmod"], 8)
            except ValueError:
                raise DockerfileError(
                    self.name,
                    node.line,
                    f"invalid chmod {node.flags['chmod']!r}: an octal mode",
                ) from None
        host_dest = resolve_in_root(fs.root, dest)
        if not to_dir and host_dest.is_dir() and sources and not sources[0][2].is_dir():
            to_dir = True
        for doc in node.heredocs:
            target_file = host_dest / doc.name if to_dir else host_dest
            makedirs_in_root(fs.root, posixpath.dirname(dest) if not to_dir else dest)
            text = _expand_vars(doc.content, state.env()) if doc.expand else doc.content
            target_file.write_text(text)
            os.chown(target_file, *owner)
            os.chmod(target_file, mode if mode is not None else 0o644)
        for context, rel, host in sources:
            local = host not in self.downloaded
            if node.instruction == "ADD" and local and host.is_file() and _is_archive(host):
                makedirs_in_root(fs.root, dest)
                from ..image.compression import decompressed
                from ..image.layer import apply_tar

                with open(host, "rb") as raw:
                    plain, _ = decompressed(raw)

                    staging = resolve_in_root(fs.root, dest)
                    apply_tar(
                        plain,
                        staging,
                        whiteouts=False,
                        owner=owner if "chown" in node.flags else None,
                    )
                continue
            is_dir = host.is_dir()
            name = posixpath.basename(rel) or "."
            source = Source(host, name, is_dir, contents_only=is_dir)
            if is_dir or to_dir:  # a folder's contents, or files into the folder dest
                makedirs_in_root(fs.root, dest)
                target = Target(resolve_in_root(fs.root, dest), dest)
            else:
                parent = posixpath.dirname(dest)
                makedirs_in_root(fs.root, parent)
                target = Target(
                    resolve_in_root(fs.root, parent), parent, rename=posixpath.basename(dest)
                )
            copy_tree(source, target, owner, mode=mode, skip=_ignoring(context, rel))
        return f"{node.instruction} {node.text}"


def _ignoring(context: BuildContext, rel: str) -> Callable[[str], bool] | None:
    """What a folder's copy leaves out: its entries' names are relative to the folder."""
    if not context.patterns:
        return None
    return lambda name: context.ignored(posixpath.join(rel, name) if rel else name)


def _short(key: str) -> str:
    return key.rsplit(":", 1)[-1][:12]


def _copy_state(state: State) -> State:
    return State(
        state.key,
        copy.deepcopy(state.image),
        list(state.layers),
        list(state.shell),
        dict(state.args),
        state.missed_at,
    )


def _expand_vars(text: str, env: dict[str, str]) -> str:
    """$NAME and ${NAME} in a COPY heredoc with an unquoted terminator (unknown: empty)."""
    return _VAR.sub(lambda m: env.get(m.group(1) or m.group(2), ""), text)


def _is_archive(path: Path) -> bool:
    import tarfile

    from ..image.compression import decompressed

    try:
        with open(path, "rb") as raw:
            plain, _ = decompressed(raw)
            block = plain.read(512)
        if len(block) < 512:
            return False
        return tarfile.TarInfo.frombuf(block, "utf-8", "surrogateescape") is not None
    except Exception:  # noqa: BLE001 - not a tar: ADD copies it as a file
        return False


def _healthcheck(node: Node) -> dict[str, Any]:
    kind, _, rest = node.text.partition(" ")
    if kind.upper() == "NONE":
        return {"Test": ["NONE"]}
    rest = rest.strip()
    cmd = parse_line("CMD " + rest)
    test = ["CMD", *cmd.json] if cmd.json is not None else ["CMD-SHELL", rest]
    out: dict[str, Any] = {"Test": test}
    for flag, field_name in (
        ("interval", "Interval"),
        ("timeout", "Timeout"),
        ("start-period", "StartPeriod"),
        ("start-interval", "StartInterval"),
    ):
        if flag in node.flags:
            out[field_name] = duration_ns(node.flags[flag])  # checked by instructions.py
    if "retries" in node.flags:
        out["Retries"] = int(node.flags["retries"])
    return out


def _make_workdir(root: Path, config: dict[str, Any]) -> None:
    """WORKDIR's directory, made (owned by USER, as BuildKit's) in the first layer step
    after it if it is missing, so ``COPY f /app`` after ``WORKDIR /app`` copies into it."""
    workdir = config.get("WorkingDir")
    if not workdir:
        return
    from ..runtime.scope import makedirs_in_root, resolve_in_root
    from ..runtime.users import resolve_user

    if resolve_in_root(root, workdir).exists():
        return
    user = resolve_user(root, config.get("User") or "")
    makedirs_in_root(root, workdir, user.uid, user.gid)
