"""Image use cases: resolve, list, inspect, history, tag, remove, prune.

Import, load and save (bytes in and out of the store) are in ``image_io.py``.
"""

from __future__ import annotations

import builtins

from ..errors import Conflict, ImageNotFound, InvalidArgument, InvalidReference
from ..image.manifest import ImageConfig
from ..image.reference import Reference, familiar, parse, parse_tagged
from ..records import dataclass, field
from ..store.metadata import ImageRow
from ..store.store import Store
from ..timefmt import now_rfc3339, parse_rfc3339
from .container_state import ACTIVE
from .filters import labels_match

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import Any

    pass

_HEX = frozenset("0123456789abcdef")
ZERO_TIME = "0001-01-01T00:00:00Z"


@dataclass(frozen=True)
class ImageSummary:
    id: str
    repo_tags: list[str]  # fully qualified
    repo_digests: list[str]
    created: str
    size: int
    parent: str
    labels: dict[str, str]

    @property
    def dangling(self) -> bool:
        return not self.repo_tags


@dataclass(frozen=True)
class HistoryEntry:
    id: str  # image ID for the top entry, "<missing>" for the others
    created: str
    created_by: str
    size: int
    comment: str
    empty_layer: bool


@dataclass
class RemoveReport:
    untagged: list[str] = field(default_factory=list)  # familiar names
    deleted: list[str] = field(default_factory=list)  # image IDs


@dataclass
class PruneReport:
    items: list[RemoveReport] = field(default_factory=list)
    reclaimed: int = 0


class ImageService:
    def __init__(self, store: Store, aliases: dict[str, str] | None = None) -> None:
        """``aliases``: short names and the references they stand for (the
        configuration's ``[aliases]``, as Podman's registries.conf has them)."""
        self.store = store
        self.meta = store.meta
        self.aliases = aliases or {}

    def aliased(self, text: str) -> str:
        """``text`` with a short name that is an alias replaced by what it stands for
        (its tag or digest kept); anything else as it is."""
        if not self.aliases:
            return text
        name, at, digest = text.partition("@")
        slash = name.rfind("/")
        colon = name.rfind(":")
        tag = name[colon:] if colon > slash else ""
        bare = name[: len(name) - len(tag)] if tag else name
        target = self.aliases.get(bare)
        if target is None:
            return text
        return target + tag + at + digest

    # -- finding images -----------------------------------------------------------
    def resolve(self, text: str) -> tuple[str, Reference | None]:
        """Image ID for a name, a name@digest, a full ID or a unique ID prefix.

        Returns the reference too when ``text`` named the image (not an ID). A short
        name that is an alias names what it stands for, when no image has it itself.
        """
        target = self.aliased(text)
        if target != text:
            try:
                return self._resolve(text)
            except ImageNotFound:
                return self._resolve(target)
        return self._resolve(text)

    def _resolve(self, text: str) -> tuple[str, Reference | None]:
        ref: Reference | None
        try:
            ref = parse_tagged(text)
        except InvalidReference:
            ref = None
        if ref is not None:
            target = (
                self.meta.digest_target(str(ref)) if ref.digest else self.meta.tag_target(str(ref))
            )
            if target is not None:
                return target, ref
        hex_part = text.removeprefix("sha256:")
        if hex_part and len(hex_part) <= 64 and set(hex_part) <= _HEX:
            matches = self.meta.image_ids_with_prefix(hex_part)
            if len(matches) == 1:
                return matches[0], None
            if len(matches) > 1:
                shown = ", ".join(m.removeprefix("sha256:")[:12] for m in matches[:5])
                raise Conflict(f"multiple IDs found with provided prefix: {hex_part} ({shown})")
        if ref is None:
            # not a name and not an ID: say why the name was refused
            parse_tagged(text)
        raise ImageNotFound(text)

    def row(self, image_id: str) -> ImageRow:
        row = self.meta.image(image_id)
        if row is None:
            raise ImageNotFound(image_id)
        return row

    def config(self, image_id: str) -> ImageConfig:
        return ImageConfig.parse(self.store.content.read(image_id))

    # -- listing ------------------------------------------------------------------
    def list(
        self, all: bool = False, filters: dict[str, list[str]] | None = None
    ) -> builtins.list[ImageSummary]:
        tags: dict[str, list[str]] = {}
        for name, image_id in self.meta.all_tags():
            tags.setdefault(image_id, []).append(name)
        digests: dict[str, list[str]] = {}
        for name, image_id in self.meta.all_repo_digests():
            digests.setdefault(image_id, []).append(name)
        rows = self.meta.images()
        parents = {r.parent for r in rows if r.parent}
        out = []
        for r in rows:
            labels = self._labels(r.id)
            summary = ImageSummary(
                r.id, tags.get(r.id, []), digests.get(r.id, []), r.created, r.size, r.parent, labels
            )
            if not all and summary.dangling and r.id in parents:
                continue  # an intermediate image, as `docker images` hides them
            out.append(summary)
        return _filter_images(out, filters or {}, self)

    def _labels(self, image_id: str) -> dict[str, str]:
        return dict(self.config(image_id).container_config.get("Labels") or {})

    # -- inspect and history ------------------------------------------------------
    def inspect(self, text: str) -> dict[str, Any]:
        image_id, _ = self.resolve(text)
        return self.inspect_id(image_id)

    def inspect_id(self, image_id: str) -> dict[str, Any]:
        row = self.row(image_id)
        cfg = self.config(image_id)
        raw = cfg.raw
        out: dict[str, Any] = {
            "Id": image_id,
            "RepoTags": [familiar(t) for t in self.meta.tags_of(image_id)],
            "RepoDigests": [familiar(d) for d in self.meta.repo_digests_of(image_id)],
            "Parent": row.parent,
            "Comment": raw.get("comment", ""),
            "Created": cfg.created or ZERO_TIME,
            # the config of the container an image was committed from, which Docker's
            # inspect shows before API 1.45 (docker-compose 1.x reads its Volumes)
            "Container": raw.get("container", ""),
            "ContainerConfig": docker_container_config(dict(raw.get("container_config") or {})),
            "DockerVersion": raw.get("docker_version", ""),
            "Author": raw.get("author", ""),
            "Config": docker_container_config(cfg.container_config),
            "Architecture": cfg.architecture,
        }
        if raw.get("variant"):
            out["Variant"] = raw["variant"]
        out.update(
            {
                "Os": cfg.os,
                "Size": row.size,
                "GraphDriver": {
                    "Data": {
                        "LowerDirs": [
                            str(self.store.layers.diff_path(d))
                            for d in self.meta.image_layers(image_id)
                        ]
                    },
                    "Name": "overlay",
                },
                "RootFS": {"Type": "layers", "Layers": cfg.diff_ids},
                "Metadata": {"LastTagTime": row.last_tag_time or ZERO_TIME},
            }
        )
        return out

    def history(self, text: str) -> builtins.list[HistoryEntry]:
        image_id, _ = self.resolve(text)
        cfg = self.config(image_id)
        diff_ids = cfg.diff_ids
        sizes = self.meta.layer_sizes(diff_ids) if diff_ids else {}
        history = cfg.history or [{"created": cfg.created} for _ in diff_ids]
        entries = []
        layer_index = 0
        for h in history:
            empty = bool(h.get("empty_layer"))
            size = 0
            if not empty and layer_index < len(diff_ids):
                size = sizes.get(diff_ids[layer_index], 0)
                layer_index += 1
            entries.append(
                HistoryEntry(
                    "<missing>",
                    str(h.get("created", "")),
                    str(h.get("created_by", "")),
                    size,
                    str(h.get("comment", "")),
                    empty,
                )
            )
        entries.reverse()
        if entries:
            top = entries[0]
            entries[0] = HistoryEntry(
                image_id, top.created, top.created_by, top.size, top.comment, top.empty_layer
            )
        return entries

    # -- naming -------------------------------------------------------------------
    def tag(self, source: str, target: str) -> None:
        image_id, _ = self.resolve(source)
        try:
            ref = parse(target)
        except InvalidReference as e:
            raise InvalidReference(
                f'Error parsing reference: "{target}" is not a valid repository/tag: {e}'
            ) from None
        if ref.digest is not None:
            raise InvalidArgument("refusing to create a tag with a digest reference")
        ref = ref.with_default_tag()
        with self.store.writing():
            self.meta.set_tag(str(ref), image_id, now_rfc3339())
            self.record(image_id, "tag", familiar(str(ref)))

    def record(self, image_id: str, action: str, name: str) -> None:
        """An image event: Actor.ID the image's ID, its labels and ``name`` (the
        reference the action was about) as Attributes."""
        from .events import record

        attributes = dict(self._labels(image_id)) if self.meta.image(image_id) else {}
        attributes["name"] = name
        record(self.store, "image", action, image_id, attributes)

    # -- removal ------------------------------------------------------------------
    def remove(self, text: str, force: bool = False) -> RemoveReport:
        """``docker rmi`` for one target: untag, and delete the image when nothing names it."""
        with self.store.writing():
            report = self._remove_locked(text, force)
        if report.deleted:
            self.store.collect_garbage()
        return report

    def _remove_locked(self, text: str, force: bool) -> RemoveReport:
        report = RemoveReport()
        image_id, ref = self.resolve(text)
        names = self.meta.tags_of(image_id) + self.meta.repo_digests_of(image_id)
        users = self._containers_using(image_id)
        if ref is not None:
            # by name: untag that name, and with a repository's last tag its digest
            # references (as Docker does: they name what was pulled or pushed under the
            # tag); delete the image when nothing else names it
            doomed = [str(ref)]
            if ref.digest is None and not [
                n for n in names if "@" not in n and n != str(ref) and parse(n).name == ref.name
            ]:
                doomed += [n for n in names if "@" in n and parse(n).name == ref.name]
            last = not [n for n in names if n not in doomed]
            if last and users and not force:
                raise Conflict(
                    f'conflict: unable to remove repository reference "{text}" (must force) - '
                    f"container {users[0][0][:12]} is using its referenced image {_short(image_id)}"
                )
            for name in doomed:
                self._untag(image_id, name, report)
            if last and not users:
                self._delete(image_id, report)
            return report
        running = [cid for cid, status in users if status in ACTIVE]
        if running:
            raise Conflict(
                f"conflict: unable to delete {_short(image_id)} (cannot be forced) - image is "
                f"being used by running container {running[0][:12]}"
            )
        if users and not force:
            raise Conflict(
                f"conflict: unable to delete {_short(image_id)} (must be forced) - image is "
                f"being used by stopped container {users[0][0][:12]}"
            )
        if len({parse(n).name for n in names}) > 1 and not force:
            raise Conflict(
                f"conflict: unable to delete {_short(image_id)} (must be forced) - "
                "image is referenced in multiple repositories"
            )
        for name in names:
            self._untag(image_id, name, report)
        if not users:
            self._delete(image_id, report)
        return report

    def _containers_using(self, image_id: str) -> builtins.list[tuple[str, str]]:
        rows = self.meta.conn.execute(
            "SELECT id, status FROM containers WHERE image_id = ? ORDER BY created", (image_id,)
        )
        return [(r[0], r[1]) for r in rows]

    def _untag(self, image_id: str, name: str, report: RemoveReport) -> None:
        if "@" in name:
            self.meta.remove_repo_digest(name)
        else:
            self.meta.remove_tag(name)
        report.untagged.append(familiar(name))
        self.record(image_id, "untag", familiar(name))

    def _delete(self, image_id: str, report: RemoveReport) -> None:
        if self.meta.children(image_id):
            raise Conflict(
                f"conflict: unable to delete {_short(image_id)} (cannot be forced) - "
                "image has dependent child images"
            )
        self.record(image_id, "delete", image_id)
        self.meta.remove_image(image_id)
        report.deleted.append(image_id)

    def prune(self, all: bool = False) -> PruneReport:
        """Remove dangling images (``all``: every image no container uses)."""
        result = PruneReport()
        freed_before = self._layer_bytes()
        with self.store.writing():
            changed = True
            while changed:  # removing a child can make its parent prunable
                changed = False
                for row in self.meta.images():
                    names = self.meta.tags_of(row.id)
                    if (names and not all) or self.meta.children(row.id):
                        continue
                    if self._containers_using(row.id):
                        continue
                    report = RemoveReport()
                    for name in names + self.meta.repo_digests_of(row.id):
                        self._untag(row.id, name, report)
                    self._delete(row.id, report)
                    result.items.append(report)
                    changed = True
        self.store.collect_garbage()
        result.reclaimed = max(0, freed_before - self._layer_bytes())
        return result

    def _layer_bytes(self) -> int:
        row = self.meta.conn.execute("SELECT COALESCE(SUM(size), 0) FROM layers").fetchone()
        return int(row[0])


def _short(image_id: str) -> str:
    return image_id.removeprefix("sha256:")[:12]


def docker_container_config(cfg: dict[str, Any]) -> dict[str, Any]:
    """The image's ``config`` with every field Docker's inspect shows, in Docker's order."""
    out: dict[str, Any] = {
        "Hostname": cfg.get("Hostname", ""),
        "Domainname": cfg.get("Domainname", ""),
        "User": cfg.get("User", ""),
        "AttachStdin": bool(cfg.get("AttachStdin", False)),
        "AttachStdout": bool(cfg.get("AttachStdout", False)),
        "AttachStderr": bool(cfg.get("AttachStderr", False)),
    }
    if cfg.get("ExposedPorts"):
        out["ExposedPorts"] = cfg["ExposedPorts"]
    out.update(
        {
            "Tty": bool(cfg.get("Tty", False)),
            "OpenStdin": bool(cfg.get("OpenStdin", False)),
            "StdinOnce": bool(cfg.get("StdinOnce", False)),
            "Env": cfg.get("Env"),
            "Cmd": cfg.get("Cmd"),
        }
    )
    if cfg.get("Healthcheck"):
        out["Healthcheck"] = cfg["Healthcheck"]
    out.update(
        {
            "Image": cfg.get("Image", ""),
            "Volumes": cfg.get("Volumes"),
            "WorkingDir": cfg.get("WorkingDir", ""),
            "Entrypoint": cfg.get("Entrypoint"),
            "OnBuild": cfg.get("OnBuild"),
            "Labels": cfg.get("Labels"),
        }
    )
    if cfg.get("StopSignal"):
        out["StopSignal"] = cfg["StopSignal"]
    if cfg.get("Shell"):
        out["Shell"] = cfg["Shell"]
    return out


_IMAGE_FILTERS = frozenset({"dangling", "reference", "label", "before", "since"})


def _filter_images(
    images: builtins.list[ImageSummary], filters: dict[str, list[str]], service: ImageService
) -> builtins.list[ImageSummary]:
    for key in filters:
        if key not in _IMAGE_FILTERS:
            raise InvalidArgument(f"invalid filter '{key}'")
    out = images
    for value in filters.get("dangling", []):
        if value.lower() not in ("true", "false", "1", "0"):
            raise InvalidArgument(f"invalid filter 'dangling={value}'")
        want = value.lower() in ("true", "1")
        out = [i for i in out if i.dangling == want]
    patterns = filters.get("reference", [])
    if patterns:
        out = [i for i in out if any(_reference_matches(i, p) for p in patterns)]
    if "label" in filters:
        out = [i for i in out if labels_match(i.labels, filters["label"])]
    for key, newer in (("before", False), ("since", True)):
        for value in filters.get(key, []):
            pivot_id, _ = service.resolve(value)
            pivot = parse_rfc3339(service.row(pivot_id).created)
            out = [
                i for i in out if (parse_rfc3339(i.created) > pivot) == newer and i.id != pivot_id
            ]
    return out


def _reference_matches(image: ImageSummary, pattern: str) -> bool:
    import fnmatch  # and re with it: only for images --filter reference= (or a name)

    for name in image.repo_tags:
        ref = parse(name)
        for candidate in (ref.familiar_name, ref.familiar()):
            if fnmatch.fnmatchcase(candidate, pattern):
                return True
    return False


def new_tag(reference: str | None) -> Reference | None:
    """The tag an import or commit creates, checked before any work is done."""
    if not reference:
        return None
    ref = parse(reference)
    if ref.digest is not None:
        raise InvalidReference("refusing to create a tag with a digest reference")
    return ref.with_default_tag()
