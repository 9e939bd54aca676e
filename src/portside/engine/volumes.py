"""Volumes: named directories of the store (``volumes/NAME/_data``) that outlive the
containers mounting them, as Docker's ``local`` driver keeps them.

A volume's row and its directory come and go together: the directory is made under a
temporary name and renamed into place before the row commits, and removed only after
its row is gone, so a crash leaves at worst an unnamed directory that the next
``volume`` command sweeps.
"""

from __future__ import annotations

import builtins
import os
from pathlib import Path

from ..errors import Conflict, ContainerStartError, InvalidArgument, NotFound
from ..ids import new_id
from ..records import replace
from ..runtime.scope import resolve_in_root
from ..store.sizes import dir_size
from ..store.tempnames import remove_tree, sweep_stale, temp_name
from ..store.volumes import ANONYMOUS, MountRow, VolumeRow, VolumeTable
from ..timefmt import now_rfc3339
from . import filters as shared
from .mounts import check_volume_name

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import Any

    from ..store.store import Store

FILTERS = frozenset({"dangling", "name", "label", "driver"})


class VolumeNotFound(NotFound):
    def __init__(self, name: str) -> None:
        super().__init__(f"get {name}: no such volume")


class VolumeService:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.table = VolumeTable(store.meta.conn)
        self.dir = Path(store.root, "volumes")
        self.tmp = self.dir / ".tmp"  # a volume's name never starts with "."

    def data(self, name: str) -> Path:
        return self.dir / name / "_data"

    def for_start(self, m: MountRow, rootfs: str) -> str:
        """The folder to bind for volume mount ``m`` at a container's start. A volume
        that is still empty gets the image's content at its path first (Docker's
        copy-up), unless it was mounted with ``nocopy``."""
        data = self.data(m.source)
        if not data.is_dir():
            raise ContainerStartError(f"get {m.source}: no such volume", 125)
        if m.options != "nocopy":
            copy_up(resolve_in_root(rootfs, m.destination), data)
        return str(data)

    # -- the volume commands ----------------------------------------------------------
    def create(
        self,
        name: str = "",
        driver: str = "local",
        labels: dict[str, str] | None = None,
    ) -> VolumeRow:
        """``volume create``: a new volume, or the existing one of that name (as
        Docker's, which answers a second create with the same volume)."""
        if driver != "local":
            raise NotFound(f'error looking up volume plugin {driver}: plugin "{driver}" not found')
        if name:
            check_volume_name(name)
        name = name or new_id()
        with self.store.writing():
            return self.ensure(VolumeRow(name, driver, now_rfc3339(), dict(labels or {})))

    def ensure(self, wanted: VolumeRow) -> VolumeRow:
        """The volume, made if it is missing; inside the caller's store transaction."""
        existing = self.table.get(wanted.name)
        if existing is not None:
            return existing
        self.tmp.mkdir(parents=True, exist_ok=True)
        sweep_stale(self.tmp)
        staging = self.tmp / temp_name()
        (staging / "_data").mkdir(parents=True)
        os.chmod(staging / "_data", 0o755)
        final = self.dir / wanted.name
        if final.exists():  # a directory without a row: left by a crash
            import shutil

            shutil.rmtree(final)
        staging.rename(final)
        self.table.add(wanted)
        self._record(wanted.name, "create", wanted.driver)
        return wanted

    def _record(self, name: str, action: str, driver: str = "local") -> None:
        from .events import record

        record(self.store, "volume", action, name, {"driver": driver})

    def get(self, name: str) -> VolumeRow:
        row = self.table.get(name)
        if row is None:
            raise VolumeNotFound(name)
        return row

    def list(
        self, filters: dict[str, builtins.list[str]] | None = None
    ) -> builtins.list[VolumeRow]:
        filters = filters or {}
        shared.check(filters, FILTERS)
        used = self.table.used()
        return [v for v in self.table.all() if _matches(v, filters, v.name in used)]

    def remove(self, name: str, force: bool = False) -> None:
        """``volume rm``: refused while a container mounts it (even a stopped one)."""
        with self.store.writing():
            if self.table.get(name) is None:
                if force:
                    return
                raise VolumeNotFound(name)
            users = self.table.users(name)
            if users:
                raise Conflict(f"remove {name}: volume is in use - [{', '.join(users)}]")
            self.table.remove(name)
            self._record(name, "destroy")
        self._delete(name)

    def prune(self, all: bool = False) -> tuple[builtins.list[str], int]:
        """``volume prune``: unused anonymous volumes (all unused ones with ``all``);
        their names and the bytes freed."""
        removed, freed = [], 0
        with self.store.writing():
            used = self.table.used()
            for v in self.table.all():
                if v.name in used or not (all or v.anonymous):
                    continue
                freed += dir_size(self.data(v.name))
                self.table.remove(v.name)
                self._record(v.name, "destroy", v.driver)
                removed.append(v.name)
        for name in removed:
            self._delete(name)
        return removed, freed

    def inspect(self, v: VolumeRow) -> dict[str, Any]:
        return {
            "CreatedAt": v.created,
            "Driver": v.driver,
            "Labels": v.labels,
            "Mountpoint": str(self.data(v.name)),
            "Name": v.name,
            "Options": None,
            "Scope": "local",
        }

    # -- for containers -----------------------------------------------------------------
    def for_mounts(self, mounts: builtins.list[MountRow]) -> builtins.list[MountRow]:
        """The mounts with a name for every anonymous volume; the volumes made, inside
        the caller's store transaction (a container being created)."""
        named = []
        for m in mounts:
            if m.type == "volume":
                if not m.source:
                    m = replace(m, source=new_id())
                    labels = {ANONYMOUS: ""}
                else:
                    labels = {}
                self.ensure(VolumeRow(m.source, "local", now_rfc3339(), labels))
            named.append(m)
        return named

    def release(self, mounts: builtins.list[MountRow]) -> builtins.list[str]:
        """``rm -v`` and ``--rm``: the rows of a removed container's anonymous volumes
        that no other container mounts, dropped inside the caller's transaction; their
        names, for ``delete`` once it commits."""
        gone = []
        for m in mounts:
            v = self.table.get(m.source) if m.type == "volume" else None
            if v is not None and v.anonymous and not self.table.users(v.name):
                self.table.remove(v.name)
                self._record(v.name, "destroy", v.driver)
                gone.append(v.name)
        return gone

    def delete(self, names: builtins.list[str]) -> None:
        for name in names:
            self._delete(name)

    def _delete(self, name: str) -> None:
        """The directory of a volume whose row is gone: renamed away first, so a crash
        midway leaves nothing under the volume's name."""
        self.tmp.mkdir(parents=True, exist_ok=True)
        doomed = self.tmp / temp_name()
        try:
            (self.dir / name).rename(doomed)
        except FileNotFoundError:
            return
        remove_tree(doomed)


def _matches(v: VolumeRow, filters: dict[str, list[str]], in_use: bool) -> bool:
    for key, values in filters.items():
        if key == "dangling":
            if any(x not in ("true", "false", "1", "0") for x in values):
                raise InvalidArgument(f"Invalid filter 'dangling={values[0]}'")
            if not any((x in ("true", "1")) != in_use for x in values):
                return False
        elif key == "name":
            if not any(x in v.name for x in values):
                return False
        elif key == "driver":
            if v.driver not in values:
                return False
        elif key == "label":
            if not shared.labels_match(v.labels, values):
                return False
    return True


def copy_up(source: Path, volume: Path) -> None:
    """Docker's copy-up: a volume that is empty takes the content, owner and mode of
    the image's directory at its mount point (``source``, resolved inside the
    container's root). ``cp -a`` keeps owners, modes, links, times and xattrs."""
    import subprocess

    if not source.is_dir() or source.is_symlink() or any(volume.iterdir()):
        return
    st = source.stat()
    os.chown(volume, st.st_uid, st.st_gid)
    os.chmod(volume, st.st_mode & 0o7777)
    if not any(source.iterdir()):
        return
    done = subprocess.run(["cp", "-a", "--", f"{source}/.", str(volume)], capture_output=True)
    if done.returncode != 0:
        reason = done.stderr.decode(errors="replace").strip()
        raise ContainerStartError(f"copying the image's content into a volume: {reason}", 125)
