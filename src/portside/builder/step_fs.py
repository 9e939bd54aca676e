"""The filesystem of one build step, and RUN's process in it.

A step that changes files gets an overlay of the layers so far with a fresh upper
directory that is already where the store keeps layers while they are being made
(``layers.new_work_dir()/diff``): after the step the upper directory *is* the layer,
written once as a tar for its blob and diff ID and never extracted again. An init layer
(the mount points runc needs, see engine/containers.py) sits under it, so runc's mount
points never become part of a layer.

RUN runs with ``runc run`` in the foreground (runtime/runc.py), in a bundle of its own,
with Docker's default capabilities and seccomp profile; its output is streamed line by
line. Its container is named after the builder's PID, so that the next RUN step of any
build can reap what a killed build left running.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from ..image.ingest import StagedLayer, existing_layer
from ..image.layer_write import write_tree
from ..records import dataclass
from ..runtime import cgroups, seccomp
from ..runtime.bundle import write_config
from ..runtime.runc import Runtime
from ..runtime.scope import makedirs_in_root
from ..runtime.spec import (
    DEFAULT_CAPABILITIES,
    DEFAULT_PATH,
    Bind,
    ContainerSpec,
    ProcessSpec,
    Tmpfs,
)
from ..runtime.users import resolve_user
from ..store.snapshots import mount_overlay, unmount
from ..store.store import Store
from ..store.tempnames import remove_tree

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import Any, BinaryIO

    from _typeshed import StrPath


@dataclass
class StepFS:
    work: str  # the layer being made (its "diff" is the upper directory)
    root: str  # the mounted root filesystem of the step

    @property
    def upper(self) -> str:
        return f"{self.work}/diff"


@contextmanager
def mounted(store: Store, lowers: Sequence[StrPath]) -> Iterator[StepFS]:
    """An overlay of ``lowers`` (topmost first) with a new layer as its upper directory;
    the caller seals it (``seal``) or lets it be discarded on failure."""
    work = store.layers.new_work_dir()
    overlay_work, root, empty = f"{work}/overlay-work", f"{work}/root", f"{work}/empty"
    os.mkdir(overlay_work)
    os.mkdir(root)
    mounted_here = False
    try:
        if not lowers:
            os.mkdir(empty)
            lowers = [empty]
        mount_overlay(lowers, f"{work}/diff", overlay_work, root, volatile=True)
        mounted_here = True
        yield StepFS(work, root)
    except BaseException:
        if mounted_here:
            unmount(root)
            mounted_here = False
        store.layers.discard(work)
        raise
    finally:
        if mounted_here:
            unmount(root)
        for leftover in (overlay_work, root, empty):
            remove_tree(leftover)


def make_workdir(root: str, config: dict[str, Any]) -> None:
    """WORKDIR's directory, made (owned by USER, as BuildKit's) in the first layer step
    after it if it is missing, so ``COPY f /app`` after ``WORKDIR /app`` copies into it."""
    workdir = config.get("WorkingDir")
    if not workdir:
        return
    from ..runtime.scope import host_path_in

    if os.path.exists(host_path_in(root, workdir)):
        return
    user = resolve_user(root, config.get("User") or "")
    makedirs_in_root(root, workdir, user.uid, user.gid)


def seal(store: Store, work: str, epoch: int | None = None) -> StagedLayer:
    """The upper directory as a layer: its tar becomes the blob (and the diff ID);
    with ``epoch`` (SOURCE_DATE_EPOCH), no time in it is later than that."""
    with store.filling("a layer"):
        ingest = store.content.writer()
        try:
            # tar writes nothing but write() calls: straight into the blob, no pipe or thread
            if epoch is not None:
                clamp_times(f"{work}/diff", epoch)
            blob: BinaryIO = ingest  # type: ignore[assignment]  # tar only calls write()
            write_tree(f"{work}/diff", blob, whiteouts=True)
            diff_id = ingest.seal()
            size = _content_size(f"{work}/diff")
        except BaseException:
            ingest.abort()
            store.layers.discard(work)
            raise
    if store.meta.has_layer(diff_id) and store.layers.exists(diff_id):
        ingest.abort()
        store.layers.discard(work)
        found = existing_layer(store, diff_id)
        assert found is not None
        return found
    return StagedLayer(diff_id, size, ingest, work)


def clamp_times(root: StrPath, epoch: int) -> None:
    """No modification time under ``root`` (itself too) later than ``epoch``, as
    BuildKit's rewrite-timestamp: in the layer's tar and in the folder that stays the
    layer, so a container sees what a pushed image holds."""
    limit = epoch * 10**9
    for dirpath, dirs, files in os.walk(root, topdown=False):
        for name in [*files, *dirs, ""]:
            path = os.path.join(dirpath, name) if name else dirpath
            st = os.lstat(path)
            if st.st_mtime_ns > limit:
                os.utime(path, ns=(min(st.st_atime_ns, limit), limit), follow_symlinks=False)


def _content_size(root: StrPath) -> int:
    """Bytes of regular file content, as a layer's size counts them."""
    total = 0
    for dirpath, _, files in os.walk(root):
        for name in files:
            st = os.lstat(os.path.join(dirpath, name))
            if stat.S_ISREG(st.st_mode):
                total += st.st_size
    return total


_RUN_PREFIX = "build-"  # then the builder's PID: a RUN container outlives a killed build


def reap_orphans(runtime: Runtime) -> int:
    """Kill and delete the RUN containers of builds that were killed (their builder's
    PID is gone: ``runc run`` outlives it, and so does the container); how many. Their
    root filesystems are unmounted and removed by the store's sweep of stale work."""
    from ..processes import alive

    try:
        names = os.listdir(runtime.state_root)
    except FileNotFoundError:
        return 0
    reaped = 0
    for name in names:
        pid = name[len(_RUN_PREFIX) :].partition("-")[0]
        if name.startswith(_RUN_PREFIX) and pid.isdigit() and not alive(int(pid)):
            runtime.delete(name)
            reaped += 1
    return reaped


def stop_running(runtime: Runtime) -> None:
    """Kill the RUN containers this process runs now (a stage built beside one that
    failed): each step sees its command killed, and its layer is discarded."""
    try:
        names = os.listdir(runtime.state_root)
    except FileNotFoundError:
        return
    mine = f"{_RUN_PREFIX}{os.getpid()}-"
    for name in names:
        if name.startswith(mine):
            runtime.kill(name, 9)


def run_process(
    runtime: Runtime,
    fs: StepFS,
    bundle: StrPath,
    process: ProcessSpec,
    user: str,
    hostname: str,
    binds: list[Bind],
    network: str,
    output: Callable[[str], None],
    mounts: tuple[Bind | Tmpfs, ...] = (),
    capabilities: tuple[str, ...] | None = None,
) -> int:
    """Run ``process`` in the step's root (``user`` resolved in it); its exit code.
    ``network``: "host", a namespace's path to join, or "" for one with only ``lo``.
    Output goes to ``output`` line by line, stdout and stderr together as a terminal
    shows them. ``mounts``: RUN's ``--mount``s; ``capabilities``: every one, for
    ``--security=insecure`` (a privileged container, no seccomp), else Docker's."""
    resolved = resolve_user(fs.root, user)
    makedirs_in_root(fs.root, process.cwd, resolved.uid, resolved.gid)
    keys = {e.partition("=")[0] for e in process.env}
    env = ([f"PATH={DEFAULT_PATH}"] if "PATH" not in keys else []) + list(process.env)
    reap_orphans(runtime)
    container_id = f"{_RUN_PREFIX}{os.getpid()}-{os.urandom(12).hex()}"
    spec = ContainerSpec(
        rootfs=fs.root,
        process=ProcessSpec(args=process.args, env=env, cwd=process.cwd, user=resolved),
        hostname=hostname,
        binds=tuple(binds),
        host_network=network == "host",
        network_ns=network if network != "host" else "",
        mounts=mounts,
        cgroups_path=cgroups.of(container_id),
        capabilities=capabilities or DEFAULT_CAPABILITIES,
        privileged=capabilities is not None,
        seccomp=None if capabilities else seccomp.profile_for(DEFAULT_CAPABILITIES, None),
    )
    write_config(bundle, spec)
    try:
        return runtime.run_attached(bundle, container_id, output)
    finally:
        remove_tree(bundle)
