"""``build``: options in, image ID out. The service reads the Dockerfile, picks the
target stage and the stages it needs, hands them to the build runner (builder/runner.py:
the steps, the layer cache and why each miss missed), then publishes the image and tags
it; ``builder prune`` drops cache entries.

The runner gets what it needs from the engine as one record (``Facilities``: the store,
the runtime, image names, pulls, RUN's network), so builder/ never imports engine/. A
failed build keeps the cache of the steps before the failure and tags nothing.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable

from ..builder.cache_spec import CacheFrom, CacheTo, parse_cache_from, parse_cache_to
from ..builder.context import BuildContext
from ..builder.dockerfile import decode, directive_notes, parse
from ..builder.instructions import BuildPlan, Stage, plan
from ..builder.named_contexts import NamedContext
from ..builder.named_contexts import parse as parse_named_context
from ..builder.platforms import Platform, check_native, native
from ..builder.platforms import parse as parse_platform
from ..builder.runner import Facilities, Runner
from ..builder.settings import NETWORK_MODES, BuildSettings, source_date_epoch
from ..builder.state import State
from ..errors import InvalidArgument, NotFound, PortsideError
from ..ids import sha256_hex
from ..image.ingest import existing_layer
from ..image.manifest import canonical_json
from ..image.publish import publish_image
from ..records import dataclass, field
from ..timefmt import format_rfc3339, now_rfc3339
from .images import ImageService, new_tag

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:  # only a step that misses needs them: a cached build starts faster
    from collections.abc import Sequence
    from types import ModuleType
    from typing import BinaryIO

    from _typeshed import StrPath

    from ..builder.cache_transfer import Backend, Imported
    from ..image.reference import Reference
    from ..registry.client import Registry
    from ..registry.credentials import Credential
    from ..runtime.runc import Runtime
    from ..store.metadata import CacheRow
    from .endpoints import EndpointService

__all__ = [
    "CACHE_TYPES",
    "ENTITLEMENTS",
    "NETWORK_MODES",
    "BuildOptions",
    "BuildOutput",
    "OUTPUT_TYPES",
    "BuildService",
    "CacheFrom",
    "CacheTo",
    "Platform",
    "SecretSource",
    "native",
    "parse_cache_from",
    "parse_cache_to",
    "parse_named_context",
    "parse_platform",
]

Output = Callable[[str], None]


@dataclass(frozen=True)
class BuildOutput:
    """``--output``: where the result goes, as BuildKit's exporters. ``image`` (the
    default): into the store, tagged; ``local``: its files into the folder ``dest``;
    ``tar``: its files as a tar to ``stream``; ``oci``/``docker``: the image as an
    OCI layout / docker-archive tar (one tar is both, as ``save`` writes) to
    ``stream``, the image kept in the store untagged; ``cacheonly``: nothing but
    the build cache."""

    type: str = "image"  # one of OUTPUT_TYPES
    dest: StrPath | None = None  # local's folder
    stream: BinaryIO | None = None  # tar, oci, docker: where the archive goes


OUTPUT_TYPES = ("image", "local", "tar", "oci", "docker", "cacheonly")


@dataclass(frozen=True)
class BuildOptions:
    context: StrPath | None = None  # None: context_archive's files, or none at all
    dockerfile: StrPath | None = None  # default: context/Dockerfile; a relative one in context
    context_archive: BinaryIO | None = None  # build -: a tar of the context, or a Dockerfile
    dockerfile_text: bytes | None = None  # -f - : read from stdin
    tags: tuple[str, ...] = ()
    build_args: dict[str, str | None] = field(default_factory=dict)
    target: str | None = None
    no_cache: bool = False
    labels: dict[str, str] = field(default_factory=dict)
    network: str = "default"
    pull: bool = False  # --pull: pull FROM images even when the store has them
    secrets: tuple[SecretSource, ...] = ()  # --secret
    allow: frozenset[str] = frozenset()  # --allow: entitlements (security.insecure)
    platform: Platform | None = None  # --platform: the machine's own (else refused)
    output: BuildOutput = BuildOutput()
    add_hosts: tuple[str, ...] = ()  # --add-host NAME:IP (IP may be host-gateway)
    no_cache_filter: tuple[str, ...] = ()  # stages, by name, that do not use the cache
    ssh: dict[str, str] = field(default_factory=dict)  # --ssh ID -> socket ("": $SSH_AUTH_SOCK)
    # registry domain -> the login to pull its images with, instead of the one Docker
    # keeps (the Engine API's X-Registry-Config); held for the build, written nowhere
    registry_auth: dict[str, Credential] = field(default_factory=dict)
    cache_to: tuple[CacheTo, ...] = ()  # --cache-to: where the build's cache goes
    cache_from: tuple[CacheFrom, ...] = ()  # --cache-from: caches its steps may come from
    contexts: dict[str, NamedContext] = field(default_factory=dict)  # --build-context


@dataclass(frozen=True)
class SecretSource:
    """``--secret id=ID,src=FILE`` or ``id=ID,env=VAR``: where a secret is read from
    when the build starts (never kept)."""

    id: str
    path: str = ""
    env: str = ""

    def read(self) -> bytes:
        import os

        if self.env:
            value = os.environ.get(self.env)
            if value is None:
                raise InvalidArgument(f"secret {self.id}: environment variable {self.env} not set")
            return value.encode()
        try:
            with open(self.path, "rb") as f:
                data = f.read(MAX_SECRET_SIZE + 1)
        except OSError as e:
            raise InvalidArgument(
                f"secret {self.id}: cannot read {self.path}: {e.strerror}"
            ) from None
        if len(data) > MAX_SECRET_SIZE:
            raise InvalidArgument(f"secret {self.id} too big. max size 500KB")
        return data


MAX_SECRET_SIZE = 500 * 1024  # BuildKit's
# the kinds of build cache, as BuildKit's --filter type= names them: steps, cache mounts
CACHE_TYPES = frozenset({"regular", "exec.cachemount"})
ENTITLEMENTS = ("security.insecure", "network.host")


class BuildService:
    def __init__(
        self,
        images: ImageService,
        runtime: Runtime,
        pull: Callable[[str, Output, Credential | None], str],
        endpoints: Callable[[], EndpointService],
        scratch: str,
        registry: Callable[[str, Credential | None], tuple[Registry, Reference]] | None = None,
    ) -> None:
        self.images = images
        self.store = images.store
        self.runtime = runtime
        self.pull = pull  # the registry's pull, imported only when an image is missing
        self.endpoints = endpoints  # made only when a RUN step needs the bridge
        self.scratch = scratch  # under the run root: secrets' files, never the store
        self.registry = registry  # a client for a cache's registry (--cache-to/from)

    def _facilities(self, auth: dict[str, Credential]) -> Facilities:
        """What the build runner needs from the engine; ``auth``: the build's logins,
        by registry domain."""
        from ..image.reference import parse_tagged

        def pull(name: str, out: Output) -> str:
            return self.pull(name, out, auth.get(parse_tagged(name).domain) if auth else None)

        return Facilities(
            store=self.store,
            runtime=self.runtime,
            resolve=lambda name: self.images.resolve(name)[0],
            pull=pull,
            sandbox=lambda step_id: self.endpoints().sandbox(step_id),
            init_layer=_init_layer,
            scratch=self.scratch,
            all_capabilities=_all_capabilities(),
        )

    # -- the whole build ------------------------------------------------------------
    def build(self, opts: BuildOptions, out: Output) -> str:
        """Build; the image ID ("" for a ``local`` or ``tar`` output, which makes no
        image). ``out`` gets the progress lines."""
        if opts.context is None:
            return self._build_sent(opts, out)
        if opts.ssh and _ssh().names_keys(opts.ssh):
            return self._build_with_agents(opts, out)
        # bad tags fail before anything runs
        refs = [r for r in (new_tag(t) for t in opts.tags) if r is not None]
        if opts.platform is not None:
            check_native(opts.platform)
        if opts.add_hosts:
            from .container_options import check_add_hosts

            check_add_hosts(opts.add_hosts)
        epoch = source_date_epoch(opts.build_args)
        context = BuildContext.open(opts.context)
        stat_file = self._stat_cache_file(context.root)
        context.load_stat_cache(stat_file)
        named = os.path.join(opts.context, opts.dockerfile or "Dockerfile")
        dockerfile_path = os.path.normpath(named)
        if opts.dockerfile_text is not None:
            data, name = opts.dockerfile_text, "Dockerfile"
        else:
            try:
                with open(dockerfile_path, "rb") as f:
                    data = f.read()
            except FileNotFoundError:
                raise InvalidArgument(
                    f"unable to prepare context: unable to evaluate symlinks in Dockerfile "
                    f"path: lstat {dockerfile_path}: no such file or directory"
                ) from None
            name = os.path.basename(dockerfile_path)
        dockerfile = parse(decode(data, name), name)
        build_plan = plan(dockerfile)
        for note in directive_notes(dockerfile):
            out(note)
        identity = os.path.realpath(dockerfile_path) if opts.dockerfile_text is None else "-"
        target = self._target(build_plan, opts.target)
        for name in opts.no_cache_filter:
            if build_plan.stage(name) is None or name.isdigit():
                raise InvalidArgument(f"--no-cache-filter {name}: no stage of that name")
        secrets = {s.id: s.read() for s in opts.secrets}
        settings = BuildSettings(
            opts.build_args,
            opts.no_cache,
            opts.network,
            opts.pull,
            secrets,
            opts.allow,
            opts.platform,
            epoch,
            frozenset(n.lower() for n in opts.no_cache_filter),
            opts.add_hosts,
            self._host_gateway(opts.add_hosts),
            _ssh().agents(opts.ssh) if opts.ssh else {},
            opts.contexts,
        )
        runner = Runner(
            self._facilities(opts.registry_auth),
            settings,
            context,
            build_plan,
            identity,
            out,
            name,
        )
        needed = runner.needed(target)
        settings.preflight(build_plan, needed, name, runner.global_args)
        runner.imported = self._import_caches(opts, out)
        if any(c.cache_mounts for c in opts.cache_to):
            runner.mounts_used = set()
        try:
            state = runner.build(needed, target)
        finally:
            context.save_stat_cache(stat_file)
        if opts.labels:
            labels = dict(state.config.get("Labels") or {})
            labels.update(opts.labels)
            state.config["Labels"] = labels
        if any(c.type == "inline" for c in opts.cache_to):
            from ..builder.cache_format import INLINE_KEY, records_json

            # the steps the image's own layers can stand for (as BuildKit's, min only)
            rows = [r for r in self._rows(runner) if set(r.layers) <= set(state.layers)]
            state.image[INLINE_KEY] = {"records": records_json(rows)}
        image_id = self._deliver(opts, state, refs, epoch, out)
        for spec in opts.cache_to:
            if spec.type != "inline":
                self._export_cache(spec, runner, opts, out)
        return image_id

    def _deliver(
        self,
        opts: BuildOptions,
        state: State,
        refs: list[Reference],
        epoch: int | None,
        out: Output,
    ) -> str:
        """The built state where ``--output`` sends it: the store (tagged), an archive,
        or files; the image ID ("" when none is made)."""
        if opts.output.type in ("local", "tar", "cacheonly"):  # files, no image
            from ..builder.exporters import export_files

            export_files(self.store, state.layers, opts.output, out)
            return ""
        image_id = self._publish(state, epoch)
        out(f"Successfully built {image_id.removeprefix('sha256:')[:12]}")
        if opts.output.type in ("oci", "docker"):
            from ..image.archive_write import write_archive
            from .image_io import save_item

            assert opts.output.stream is not None
            content = self.store.content
            item = save_item(self.images, image_id, [str(r) for r in refs])
            write_archive(opts.output.stream, [item], content.open, content.size)
            out(f"Exported the image ({opts.output.type} archive)")
            return image_id
        created = now_rfc3339()
        with self.store.writing():
            for ref in refs:
                self.store.meta.set_tag(str(ref), image_id, created)
        for ref in refs:
            out(f"Successfully tagged {ref.familiar()}")
        return image_id

    # -- --cache-to, --cache-from -------------------------------------------------------
    def _backend(self, kind: str, where: str, opts: BuildOptions) -> Backend:
        if kind == "local":
            from pathlib import Path

            from ..builder.cache_local import LocalLayout

            return LocalLayout(Path(where))
        from ..builder.cache_registry import RegistryCache
        from ..image.reference import parse_tagged

        assert self.registry is not None
        auth = opts.registry_auth.get(parse_tagged(where).domain)
        return RegistryCache(*self.registry(where, auth))

    def _import_caches(self, opts: BuildOptions, out: Output) -> Imported | None:
        """The caches of ``--cache-from`` (one that cannot be read is a warning, as
        BuildKit's); the cache mounts they carry made in the store."""
        if not opts.cache_from or opts.no_cache:
            return None
        from ..builder.cache_transfer import Imported, load

        caches = []
        for spec in opts.cache_from:
            backend = self._backend(spec.type, spec.src or spec.ref, opts)
            found = load(backend, str(spec), out)
            if found is not None:
                caches.append((backend, found))
        imported = Imported(caches)
        imported.seed_mounts(self.store, out)
        return imported

    def _rows(self, runner: Runner) -> list[CacheRow]:
        """Every step the build went through, stage by stage."""
        keys = dict.fromkeys(k for i in sorted(runner.step_keys) for k in runner.step_keys[i])
        return [row for k in keys if (row := self.store.meta.cache_entry(k)) is not None]

    def _export_cache(self, spec: CacheTo, runner: Runner, opts: BuildOptions, out: Output) -> None:
        from ..builder.cache_transfer import export

        where = spec.dest or spec.ref
        rows = self._rows(runner)
        mounts = sorted(runner.mounts_used or ()) if spec.cache_mounts else []
        # min: the importing build has (or pulls) its FROM images; max: their layers too
        skip = runner.base_layers if spec.mode == "min" else set()
        try:
            backend = self._backend(spec.type, where, opts)
            records, layers, carried = export(self.store, rows, mounts, backend, skip)
        except (OSError, PortsideError) as e:  # the image is built and tagged, though
            why = f"failed to export the build cache to {spec}: "
            why += e.strerror or str(e) if isinstance(e, OSError) else str(e)
            if not spec.ignore_error:
                raise InvalidArgument(why) from None
            out(f"WARNING: {why}")
            return
        what = f"{records} steps, {layers} layers" + (f", {carried} cache mounts" if mounts else "")
        out(f"Exported the build cache (mode={spec.mode}) to {spec}: {what}")

    def _build_sent(self, opts: BuildOptions, out: Output) -> str:
        """A build whose context comes as a stream (or is empty): unpacked, as it comes,
        in a folder that lives as long as the build."""
        import tempfile
        from pathlib import Path

        from ..builder.context import unpack
        from ..records import replace

        with tempfile.TemporaryDirectory(prefix="portside-context-") as tmp:
            text = opts.dockerfile_text
            if opts.context_archive is not None:
                rest = unpack(opts.context_archive, Path(tmp))
                if rest is not None and text is None:
                    text = rest
            sent = replace(opts, context=tmp, context_archive=None, dockerfile_text=text)
            return self.build(sent, out)

    def _host_gateway(self, entries: tuple[str, ...]) -> str:
        """What ``--add-host NAME:host-gateway`` names: the host's address on the
        default bridge, where RUN steps are ("" when no entry asks)."""
        if not any(e.endswith(":host-gateway") for e in entries):
            return ""
        with self.store.lock:
            return self.endpoints().default_gateway()

    def _build_with_agents(self, opts: BuildOptions, out: Output) -> str:
        """A build whose ``--ssh`` names key files: an ssh-agent holds them while
        it lasts."""
        from ..builder.ssh_forward import key_agents
        from ..records import replace

        with key_agents(opts.ssh, self.scratch) as sockets:
            return self.build(replace(opts, ssh=sockets), out)

    def _stat_cache_file(self, context_root: str) -> str:
        name = sha256_hex(context_root)[:32]
        return f"{self.store.root}/build-stat/{name}.json"

    def _target(self, build_plan: BuildPlan, target: str | None) -> Stage:
        if target is None:
            return build_plan.stages[-1]
        stage = build_plan.stage(target)
        if stage is None:
            raise InvalidArgument(f"target stage {target!r} could not be found")
        return stage

    def _publish(self, state: State, epoch: int | None) -> str:
        image = copy.deepcopy(state.image)
        image["rootfs"] = {"type": "layers", "diff_ids": list(state.layers)}
        # the time of the newest step, as BuildKit: a rebuild from the cache is the same image
        history = image.get("history") or []
        image["created"] = (history[-1].get("created") if history else None) or now_rfc3339()
        if epoch is not None:
            image["created"] = format_rfc3339(epoch)
        with self.store.writing() as publisher:
            layers = []
            for diff_id in state.layers:
                layer = existing_layer(self.store, diff_id)
                if layer is None:
                    raise NotFound(f"layer {diff_id} of the build is missing from the store")
                layers.append(layer)
            return publish_image(self.store, publisher, canonical_json(image), layers)

    # -- cache ------------------------------------------------------------------------
    def prune(
        self, all: bool = False, types: frozenset[str] = CACHE_TYPES
    ) -> tuple[list[str], int]:
        """``builder prune``: drop cache entries (with ``all`` every one, else those whose
        layers no image uses), then the layers nothing needs, and the cache mounts no
        build step holds now (as BuildKit's, with or without ``all``); ``types``:
        ``--filter type=``, "regular" (steps) and/or "exec.cachemount". (IDs, bytes
        reclaimed)."""
        removed: list[str] = []
        reclaimed = 0
        if "exec.cachemount" in types:
            for mount in self.store.cache_mounts.list():
                if not mount.in_use and self.store.cache_mounts.remove(mount.name):
                    removed.append(mount.name)
                    reclaimed += mount.size
        if "regular" not in types:
            return removed, reclaimed
        keys, freed = self._prune_steps(all)
        return keys + removed, freed + reclaimed

    def _prune_steps(self, all: bool) -> tuple[list[str], int]:
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


def _ssh() -> ModuleType:
    """builder/ssh_forward.py (threads and sockets): only for a build that forwards."""
    from ..builder import ssh_forward

    return ssh_forward


def _all_capabilities() -> tuple[str, ...]:
    """RUN --security=insecure's: what --privileged gives (this process's bounding set)."""
    from .capabilities import host_capabilities

    return host_capabilities()


def _init_layer(init: StrPath, image: Sequence[StrPath]) -> None:
    """A build step's init layer: a container's, without portside's init."""
    from .init_layer import write_init_layer

    write_init_layer(init, image, with_init=False)
