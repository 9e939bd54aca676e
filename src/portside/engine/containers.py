"""Container use cases that do not run anything: create, find, list, inspect, rename,
remove, prune. Starting, stopping and the rest of the running side are in lifecycle.py;
statuses, and the recording of a container's exit, in container_state.py.
"""

from __future__ import annotations

import builtins
import os

from ..config import Settings
from ..errors import Conflict, ContainerNotFound, InvalidArgument, NotFound
from ..ids import new_id
from ..records import dataclass
from ..store.containers import ContainerRow, ContainerTable
from ..store.networks import NetworkTable
from ..store.sizes import dir_size
from ..store.snapshots import is_mounted, mount_overlay
from ..store.store import Store
from ..store.tempnames import remove_tree
from ..timefmt import now_rfc3339
from .container_paths import ContainerPaths
from .container_state import ACTIVE, ContainerState, Status, state_json, unmount_all
from .init_layer import write_init_layer
from .names import random_name, validate

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:  # only create() needs them: ps and the rest start faster without
    from collections.abc import Callable, Iterable, Sequence
    from typing import Any

    from ..store.volumes import MountRow
    from .container_options import CreateOptions
    from .endpoints import EndpointService
    from .images import ImageService
    from .networks import NetworkService
    from .volumes import VolumeService


@dataclass
class RemoveResult:
    id: str
    name: str


class ContainerService:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        images: Callable[[], ImageService],
        start_again: Callable[[ContainerRow], object],
    ) -> None:
        """``images``: the image service, asked for when first needed (``ps`` and ``rm``
        never need it, and importing it costs them 3 ms). ``start_again``: starts a
        container its restart policy brings back (the running side's,
        engine/lifecycle.py), under the store lock."""
        self.settings = settings
        self.store = store
        self._images = images
        self.table = ContainerTable(store.meta.conn)
        self._networks: NetworkService | None = None
        self._endpoints: EndpointService | None = None
        self._volumes: VolumeService | None = None
        self.state = ContainerState(
            settings,
            store,
            release_network=self._release_network,
            purge=lambda cid: self.purge(cid, volumes=True),  # --rm: its anonymous volumes too
            start_again=start_again,
        )

    @property
    def images(self) -> ImageService:
        return self._images()

    def _release_network(self, container_id: str) -> None:
        """Its endpoints freed (called under the store lock). A container on no network
        of ours (``none``, ``host``) holds none: asked first, so its exit does not
        import the network modules (4 ms of a ``stop``)."""
        if NetworkTable(self.store.meta.conn).endpoints_of(container_id):
            self.endpoints.release(container_id)

    def paths(self, container_id: str) -> ContainerPaths:
        return ContainerPaths(self.settings, container_id)

    def ports(self) -> dict[str, dict[str, Any]]:
        """NetworkSettings.Ports of every container that runs on a bridge network."""
        return {e.container_id: e.ports for e in NetworkTable(self.store.meta.conn).endpoints()}

    def network_names(self) -> dict[str, list[str]]:
        """Container ID -> the names of the networks it is on (for ``ps``)."""
        names: dict[str, list[str]] = {}
        for a in NetworkTable(self.store.meta.conn).all_attachments():
            names.setdefault(a.container_id, []).append(a.network_name)
        return names

    @property
    def networks(self) -> NetworkService:
        """Imported and made on first use: most commands never touch a network."""
        if self._networks is None:
            from .networks import NetworkService

            self._networks = NetworkService(
                self.store,
                self.settings.address_pools,
                self.settings.bip,
                applied=os.path.join(self.settings.runroot, "nft-applied"),
            )
        return self._networks

    @property
    def endpoints(self) -> EndpointService:
        """The networks each container is on, and its addresses there."""
        if self._endpoints is None:
            from .endpoints import EndpointService

            bundle = lambda cid: self.paths(cid).bundle  # noqa: E731
            self._endpoints = EndpointService(self.store, self.networks, bundle)
        return self._endpoints

    @property
    def volumes(self) -> VolumeService:
        if self._volumes is None:
            from .volumes import VolumeService

            self._volumes = VolumeService(self.store)
        return self._volumes

    def mounts(self, container_id: str) -> builtins.list[MountRow]:
        from ..store.volumes import VolumeTable

        return VolumeTable(self.store.meta.conn).mounts_of(container_id)

    def connect(self, network: str, ref: str, aliases: Sequence[str] = ()) -> None:
        """``network connect``: the container's state read and acted on in one hold."""
        with self.store.lock:
            self.endpoints.connect(network, self.get(ref), aliases)

    def disconnect(self, network: str, ref: str) -> None:
        with self.store.lock:
            self.endpoints.disconnect(network, self.get(ref))

    def mount(self, row: ContainerRow, paths: ContainerPaths) -> bool:
        """Mount the root filesystem (the image's layers, the init layer, the container's
        upper directory) unless it is; True when this call mounted it. Under the store lock.
        Its folders are made first: the run root's are gone after a reboot or a logout."""
        if is_mounted(paths.rootfs):
            return False
        paths.make()
        # --rm: the files are not meant to outlive the run, so, as Podman does, the
        # overlay is volatile and its unmount does not sync the whole upper filesystem
        # (1.3-1.9 ms here, more when the disk is busy). The kernel's marker of such a
        # mount would refuse the next one (a start again after a failed start): cleared.
        volatile = bool(row.host_config.get("AutoRemove"))
        if volatile and os.path.isdir(marker := f"{paths.work}/work/incompat/volatile"):
            remove_tree(marker)
        lowers = self.lowers(row, paths)
        mount_overlay(lowers, paths.upper, paths.work, paths.rootfs, volatile=volatile)
        return True

    def lowers(self, row: ContainerRow, paths: ContainerPaths) -> builtins.list[str]:
        """The read-only layers, topmost first: the init layer, then the image's."""
        image = self.store.layers.lower_paths(self.images.meta.image_layers(row.image_id))
        if not os.path.exists(paths.init):
            write_init_layer(paths.init, image, bool(row.host_config.get("Init")))
        return [paths.init, *image]

    # -- finding ------------------------------------------------------------------
    def get(self, ref: str) -> ContainerRow:
        """By full ID, name (with or without '/'), or unique ID prefix; reconciled."""
        row = self.table.get(ref) or self.table.by_name(ref.lstrip("/"))
        if row is None and ref and all(c in "0123456789abcdef" for c in ref):
            matches = self.table.with_prefix(ref)
            if len(matches) > 1:
                raise Conflict(
                    f"multiple IDs found with provided prefix: {ref} "
                    f"({', '.join(m.id[:12] for m in matches[:5])})"
                )
            row = matches[0] if matches else None
        if row is None:
            raise ContainerNotFound(ref)
        return self.state.reconcile(row)

    def list(
        self, all: bool = False, filters: dict[str, builtins.list[str]] | None = None
    ) -> builtins.list[ContainerRow]:
        """Newest first; only active ones unless ``all``; ``filters`` as ``ps --filter``."""
        if filters:  # imported only when asked for: ps without filters skips them
            from . import container_filters

            container_filters.check(filters)
        rows = [self.state.reconcile(r) for r in self.table.all()]
        rows = [r for r in rows if all or r.status in ACTIVE]
        if filters:
            rows = [r for r in rows if container_filters.matches(self, r, filters)]
        return rows

    def active(self, container_id: str) -> bool:
        """Whether the container still runs (for following its log)."""
        row = self.table.get(container_id)
        return row is not None and self.state.reconcile(row).status in ACTIVE

    # -- creating -----------------------------------------------------------------
    def create(self, opts: CreateOptions) -> ContainerRow:
        from .container_options import build_config, build_host_config

        image_id, _ = self.images.resolve(opts.image)
        image_cfg = self.images.config(image_id).container_config
        name = validate(opts.name) if opts.name else None
        container_id = new_id()
        config = build_config(opts, image_cfg, container_id)
        if not config["Cmd"] and not config["Entrypoint"]:
            raise InvalidArgument("no command specified")
        host_config = build_host_config(opts, self.settings.log_opts, self.settings.log_driver)
        mode = host_config["NetworkMode"]
        if mode.startswith("container:"):
            if opts.publish or opts.publish_all:
                raise InvalidArgument(
                    "conflicting options: port publishing and the container type network mode"
                )
            host_config["NetworkMode"] = f"container:{self.get(mode.partition(':')[2]).id}"
        elif mode not in ("bridge", "host", "none"):
            host_config["NetworkMode"] = self.networks.get(mode).name  # exists, by its name
        mounts = self._mounts_for(opts, image_cfg)
        attachment = self.endpoints.first_attachment(
            container_id, host_config["NetworkMode"], opts.network_aliases
        )
        paths = self.paths(container_id)
        with self.store.writing():
            if self.images.meta.image(image_id) is None:
                raise NotFound(f"No such image: {opts.image}")
            if name is None:
                name = next(
                    n
                    for attempt in range(100)
                    if self.table.by_name(n := random_name(attempt=attempt)) is None
                )
            existing = self.table.by_name(name)
            if existing is not None:
                raise Conflict(name_in_use(name, existing.id))
            row = ContainerRow(
                id=container_id,
                name=name,
                image_id=image_id,
                image_ref=opts.image,
                created=now_rfc3339(),
                config=config,
                host_config=host_config,
                status=Status.CREATED,
            )
            paths.make()
            try:
                self.table.add(row)
                from .events import record_container

                record_container(self.store, row, "create")
                if attachment is not None:
                    NetworkTable(self.store.meta.conn).attach(attachment)
                if mounts:
                    from ..store.volumes import VolumeTable

                    mounts = self.volumes.for_mounts(mounts)
                    VolumeTable(self.store.meta.conn).add_mounts(container_id, mounts)
                    for m in mounts:  # -v's missing sources, once all else is good
                        if m.type == "bind" and not os.path.exists(m.source):
                            os.makedirs(m.source, exist_ok=True)
            except BaseException:
                remove_tree(paths.dir)
                raise
        return row

    def _mounts_for(
        self, opts: CreateOptions, image_cfg: dict[str, Any]
    ) -> builtins.list[MountRow]:
        """The new container's mounts (engine/mounts.py), its bind sources checked:
        ``--mount`` refuses a missing one; ``-v`` has it made (a directory, as Docker's
        does) by ``create``."""
        if not opts.mounts and not opts.volumes_from and not image_cfg.get("Volumes"):
            return []
        from ..records import replace
        from . import mounts as parse

        inherited = []
        for spec in opts.volumes_from:
            ref, readonly = parse.volumes_from(spec)
            for m in self.mounts(self.get(ref).id):
                inherited.append(m if readonly is None else replace(m, readonly=readonly))
        given = [m.row for m in opts.mounts]
        rows = parse.resolve(given, inherited, image_cfg.get("Volumes") or {})
        from_v = {m.row.source for m in opts.mounts if m.flag == "volume"}
        for m in rows:
            if m.type != "bind" or os.path.exists(m.source):
                continue
            if m.source not in from_v:
                raise InvalidArgument(
                    f'invalid mount config for type "bind": bind source path does not exist: '
                    f"{m.source}"
                )
        return rows

    # -- removing -----------------------------------------------------------------
    def remove(self, ref: str, force: bool = False, volumes: bool = False) -> RemoveResult:
        row = self.get(ref)
        if row.status in ACTIVE:
            if not force:
                state = "paused" if row.status == Status.PAUSED else "running"
                raise Conflict(
                    f"You cannot remove a {state} container {row.id}. Stop the container "
                    "before attempting removal or force remove"
                )
            self.state.kill_and_reap(row.id)
        self.purge(row.id, volumes)
        return RemoveResult(row.id, row.name)

    def purge(self, container_id: str, volumes: bool = False) -> None:
        """Delete a stopped container's row and files (used by rm, --rm and prune);
        with ``volumes`` (``rm -v``, ``--rm``) its anonymous volumes too."""
        paths = self.paths(container_id)
        with self.store.writing():
            row = self.table.get(container_id)
            if row is None:
                return
            mounts = self.mounts(container_id) if volumes else []
            if NetworkTable(self.store.meta.conn).endpoints_of(container_id):
                self.endpoints.release(container_id)  # an endpoint a failed start left
            self.table.remove(container_id)
            from .events import record_container

            record_container(self.store, row, "destroy")
            gone = self.volumes.release(mounts) if mounts else []
        if gone:
            self.volumes.delete(gone)
        unmount_all(paths)
        remove_tree(paths.dir)

    def rename(self, ref: str, new_name: str) -> None:
        new = validate(new_name)
        with self.store.writing():
            row = self.get(ref)
            if new == row.name:
                raise InvalidArgument("Renaming a container with the same name as its current name")
            other = self.table.by_name(new)
            if other is not None:
                raise Conflict(f"Error when allocating new name: {name_in_use(new, other.id)}")
            self.table.update(row.id, name=new)
            from ..records import replace
            from .events import record_container

            record_container(self.store, replace(row, name=new), "rename", oldName=f"/{row.name}")

    def prune(
        self, filters: dict[str, builtins.list[str]] | None = None
    ) -> tuple[builtins.list[str], int]:
        """Remove every stopped container (that ``filters`` match: until, label,
        label!); (IDs, bytes freed)."""
        from .prune_filters import PruneFilter

        wanted = PruneFilter(filters)
        removed, freed = [], 0
        for row in self.list(all=True):
            if row.status in ACTIVE or row.status == Status.REMOVING:
                continue
            if not wanted.matches(row.config.get("Labels"), row.created):
                continue
            freed += dir_size(self.paths(row.id).upper)
            self.purge(row.id)
            removed.append(row.id)
        return removed, freed

    # -- inspect ------------------------------------------------------------------
    def inspect(self, ref: str) -> dict[str, Any]:
        row = self.get(ref)
        return inspect_json(
            row, self.paths(row.id), self.endpoints.settings(row), self.mounts_json(row)
        )

    def mounts_json(self, row: ContainerRow) -> builtins.list[Any]:
        """Docker's Mounts: binds, volumes and ``--mount type=tmpfs`` (a ``--tmpfs``
        shows in HostConfig.Tmpfs only, as Docker's does)."""
        return self._mounts_json(row, self.mounts(row.id))

    def mounts_json_of(self, rows: Iterable[ContainerRow]) -> dict[str, builtins.list[Any]]:
        """``mounts_json`` of many containers (the API's container list) from one read
        of the mounts table, not a query a container: container ID -> Mounts."""
        from ..store.volumes import VolumeTable

        found: dict[str, builtins.list[MountRow]] = {}
        for container_id, m in VolumeTable(self.store.meta.conn).all_mounts():
            found.setdefault(container_id, []).append(m)
        return {r.id: self._mounts_json(r, found.get(r.id, [])) for r in rows}

    def _mounts_json(
        self, row: ContainerRow, mounts: builtins.list[MountRow]
    ) -> builtins.list[Any]:
        if not mounts:
            return []
        tmpfs_flags = row.host_config.get("Tmpfs") or {}
        out: builtins.list[Any] = []
        for m in mounts:
            entry: dict[str, Any] = {"Type": m.type}
            if m.type == "tmpfs" and m.destination in tmpfs_flags:
                continue
            if m.type == "volume":
                entry["Name"] = m.source
                entry["Source"] = str(self.volumes.data(m.source))
            else:
                entry["Source"] = m.source
            entry["Destination"] = m.destination
            if m.type == "volume":
                entry["Driver"] = "local"
            entry.update(Mode=m.mode, RW=not m.readonly, Propagation=m.propagation)
            out.append(entry)
        return out


def name_in_use(name: str, container_id: str) -> str:
    return (
        f'Conflict. The container name "/{name}" is already in use by container '
        f'"{container_id}". You have to remove (or rename) that container to be able to reuse '
        "that name."
    )


def command_of(row: ContainerRow) -> tuple[str, list[str]]:
    argv = [*(row.config.get("Entrypoint") or []), *(row.config.get("Cmd") or [])]
    return (argv[0], argv[1:]) if argv else ("", [])


def inspect_json(
    row: ContainerRow,
    paths: ContainerPaths,
    network_settings: dict[str, Any],
    mounts: builtins.list[Any],
) -> dict[str, Any]:
    path, args = command_of(row)
    from .health import state_json as health_json

    state = state_json(row)
    health = health_json(paths, row)
    if health is not None:
        state["Health"] = health
    return {
        "Id": row.id,
        "Created": row.created,
        "Path": path,
        "Args": args,
        "State": state,
        "Image": row.image_id,
        "ResolvConfPath": f"{paths.bundle}/resolv.conf",
        "HostnamePath": f"{paths.bundle}/hostname",
        "HostsPath": f"{paths.bundle}/hosts",
        "LogPath": paths.log,
        "Name": "/" + row.name,
        "RestartCount": row.restart_count,
        "Driver": "overlay",
        "Platform": "linux",
        "HostConfig": row.host_config,
        "GraphDriver": {
            "Data": {
                "UpperDir": paths.upper,
                "WorkDir": paths.work,
                "MergedDir": paths.rootfs,
            },
            "Name": "overlay",
        },
        "Mounts": mounts,
        "Config": row.config,
        "NetworkSettings": network_settings,
    }
