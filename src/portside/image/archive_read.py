"""Read image archives: ``docker save`` (manifest.json) and OCI layouts (index.json).

Accepted: what ``docker save`` (classic and 25+), ``podman save`` and ``skopeo copy
docker-archive:/oci-archive:`` write, optionally gzip/zstd/bzip2/xz compressed. Every
config and blob is checked against the digest its name or descriptor claims, and every
layer against the config's ``rootfs.diff_ids``.
"""

from __future__ import annotations

import json
import posixpath
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager

from ..errors import DigestMismatch, InvalidArchive
from ..records import dataclass, field
from ..store.content import check_digest, sha256_digest
from .host import host_platform
from .manifest import (
    ANNOTATION_CONTAINERD_NAME,
    ANNOTATION_REF_NAME,
    INDEX_TYPES,
    Descriptor,
    ImageConfig,
)
from .reference import parse_tagged

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import IO, Any

_MAX_LINKS = 40  # as the kernel's ELOOP limit


@dataclass(frozen=True)
class LayerSource:
    """Where one layer's bytes are in the archive, and what they must hash to."""

    member: str
    diff_id: str
    blob_digest: str | None = None  # claimed by the member name or descriptor
    blob_size: int | None = None


@dataclass
class ArchiveImage:
    config: bytes
    layers: list[LayerSource]
    tags: list[str] = field(default_factory=list)  # fully qualified names

    @property
    def id(self) -> str:
        return sha256_digest(self.config)


class Archive:
    """A tar archive opened for random access. Its own entries are held to the rules a
    layer's are: no absolute name and no ``..`` in any member's name, nor in a path
    manifest.json names; a link may point anywhere inside the archive, never out."""

    def __init__(self, tf: tarfile.TarFile) -> None:
        self.tf = tf
        self.members: dict[str, tarfile.TarInfo] = {}
        for m in tf.getmembers():
            what = f"member {m.name!r}"
            name = _relative(m.name, what)
            if m.islnk():
                _relative(m.linkname, f"{what}, a link to {m.linkname!r}")
            elif m.issym():
                target = posixpath.normpath(_join(name, m.linkname))
                if m.linkname.startswith("/") or target == ".." or target.startswith("../"):
                    raise InvalidArchive(
                        f"invalid archive: refusing {what}: it links to {m.linkname!r}, "
                        "outside the archive"
                    )
            self.members[name] = m

    def has(self, name: str) -> bool:
        return name in self.members

    def open(self, name: str) -> IO[bytes]:
        member = self.members.get(name)
        if member is None:
            raise InvalidArchive(f"invalid archive: {name} is missing")
        at = name
        for _ in range(_MAX_LINKS):
            if not (member.issym() or member.islnk()):
                break
            link = member.linkname
            # (every link was checked to stay inside when the archive was opened)
            at = _relative(link, link) if member.islnk() else posixpath.normpath(_join(at, link))
            member = self.members.get(at)
            if member is None:
                raise InvalidArchive(f"invalid archive: {name} links to missing {at}")
        else:
            raise InvalidArchive(f"invalid archive: {name}: too many levels of links")
        f = self.tf.extractfile(member)
        if f is None:
            raise InvalidArchive(f"invalid archive: {name} is not a file")
        return f

    def read(self, name: str, limit: int = 16 << 20) -> bytes:
        member = self.members.get(name)
        if member is not None and member.size > limit:
            raise InvalidArchive(f"invalid archive: {name} is too large ({member.size} bytes)")
        with self.open(name) as f:
            return f.read()

    def json(self, name: str) -> Any:
        try:
            return json.loads(self.read(name))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise InvalidArchive(f"invalid archive: {name}: {e}") from None


def _relative(name: str, what: str) -> str:
    """``name`` relative to the archive's root; refused, naming ``what``, if it leaves it."""
    if name.startswith("/"):
        raise InvalidArchive(f"invalid archive: refusing {what}: absolute path")
    parts = name.split("/")
    if ".." in parts:
        raise InvalidArchive(f"invalid archive: refusing {what}: path contains '..'")
    return "/".join(p for p in parts if p not in ("", "."))


def _join(base: str, link: str) -> str:
    parent = base.rsplit("/", 1)[0] if "/" in base else ""
    return f"{parent}/{link}" if parent else link


def _claimed_digest(member: str) -> str | None:
    """``blobs/sha256/<hex>`` and ``<hex>.tar``/``<hex>/layer.tar`` name their digest."""
    parts = member.split("/")
    if len(parts) == 3 and parts[0] == "blobs" and parts[1] == "sha256":
        return "sha256:" + parts[2]
    return None


def _verified_config(archive: Archive, member: str, claimed: str | None) -> bytes:
    data = archive.read(member)
    actual = sha256_digest(data)
    if claimed is not None and actual != claimed:
        raise DigestMismatch(
            f"invalid archive: config {member} has digest {actual}, expected {claimed}"
        )
    return data


def _named(path: object) -> str:
    """A path manifest.json names, refused if it leaves the archive."""
    return _relative(str(path), f"manifest.json path {str(path)!r}")


def _docker_archive(archive: Archive) -> list[ArchiveImage]:
    entries = archive.json("manifest.json")
    if not isinstance(entries, list):
        raise InvalidArchive("invalid archive: manifest.json is not a list")
    images = []
    for entry in entries:
        if not isinstance(entry, dict) or "Config" not in entry:
            raise InvalidArchive("invalid archive: manifest.json entry without Config")
        config_name = _named(entry["Config"])
        claimed = _claimed_digest(config_name)
        if claimed is None and config_name.endswith(".json") and len(config_name) == 69:
            claimed = "sha256:" + config_name[:-5]
        config = _verified_config(archive, config_name, claimed)
        diff_ids = ImageConfig.parse(config).diff_ids
        layer_names = [_named(x) for x in entry.get("Layers") or []]
        if len(layer_names) != len(diff_ids):
            raise InvalidArchive(
                f"invalid archive: {len(layer_names)} layers listed but the config has "
                f"{len(diff_ids)} diff IDs"
            )
        layers = [
            LayerSource(name, check_digest(diff_id), _claimed_digest(name))
            for name, diff_id in zip(layer_names, diff_ids, strict=True)
        ]
        tags = [str(parse_tagged(t)) for t in entry.get("RepoTags") or []]
        images.append(ArchiveImage(config, layers, tags))
    return images


def _oci_name(annotations: dict[str, str]) -> list[str]:
    name = annotations.get(ANNOTATION_CONTAINERD_NAME)
    if name is None:
        ref = annotations.get(ANNOTATION_REF_NAME, "")
        # a bare tag ("latest") names no repository; a full reference does
        if ":" in ref.rsplit("/", 1)[-1] or "/" in ref:
            name = ref
    return [str(parse_tagged(name))] if name else []


def select_platform(
    descriptors: list[Descriptor], wanted: tuple[str, str, str] | None = None
) -> Descriptor | None:
    """The entry of an index for (os, architecture, variant): this machine's unless
    ``wanted`` (``--platform``) says otherwise; an empty variant matches any."""
    os_name, arch = host_platform()
    variant = ""
    if wanted is not None:
        os_name, arch, variant = wanted
    for d in descriptors:
        p = d.platform or {}
        if p.get("os", os_name) == os_name and p.get("architecture", arch) == arch:
            if not variant or p.get("variant", variant) == variant:
                return d
    return None


def _oci_layout(archive: Archive) -> list[ArchiveImage]:
    index = archive.json("index.json")
    if not isinstance(index, dict) or not isinstance(index.get("manifests"), list):
        raise InvalidArchive("invalid archive: index.json has no manifests")
    images: dict[str, ArchiveImage] = {}
    for raw in index["manifests"]:
        top = Descriptor.from_json(raw)
        names = _oci_name(top.annotations)
        desc = top
        manifest = _blob_json(archive, top)
        if top.media_type in INDEX_TYPES or "manifests" in manifest:
            chosen = select_platform(
                [Descriptor.from_json(m) for m in manifest.get("manifests") or []]
            )
            if chosen is None:
                raise InvalidArchive(
                    f"invalid archive: no manifest for this platform in {top.digest}"
                )
            desc = chosen
            manifest = _blob_json(archive, desc)
        config_desc = Descriptor.from_json(manifest.get("config"))
        config = _verified_config(archive, _blob_member(config_desc.digest), config_desc.digest)
        diff_ids = ImageConfig.parse(config).diff_ids
        layer_descs = [Descriptor.from_json(x) for x in manifest.get("layers") or []]
        if len(layer_descs) != len(diff_ids):
            raise InvalidArchive(
                f"invalid archive: manifest {desc.digest} has {len(layer_descs)} layers but its "
                f"config has {len(diff_ids)} diff IDs"
            )
        layers = [
            LayerSource(_blob_member(d.digest), check_digest(diff_id), d.digest, d.size)
            for d, diff_id in zip(layer_descs, diff_ids, strict=True)
        ]
        image = images.setdefault(sha256_digest(config), ArchiveImage(config, layers))
        image.tags.extend(n for n in names if n not in image.tags)
    return list(images.values())


def _blob_member(digest: str) -> str:
    return "blobs/" + check_digest(digest).replace(":", "/", 1)


def _blob_json(archive: Archive, desc: Descriptor) -> dict[str, Any]:
    data = archive.read(_blob_member(desc.digest), limit=4 << 20)
    if sha256_digest(data) != desc.digest:
        raise DigestMismatch(f"invalid archive: blob {desc.digest} does not match its digest")
    try:
        value = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise InvalidArchive(f"invalid archive: manifest {desc.digest}: {e}") from None
    if not isinstance(value, dict):
        raise InvalidArchive(f"invalid archive: manifest {desc.digest} is not an object")
    return value


@contextmanager
def open_archive(fileobj: IO[bytes]) -> Iterator[Archive]:
    """Open a seekable, uncompressed tar for random access."""
    try:
        tf = tarfile.open(fileobj=fileobj, mode="r:")
    except tarfile.TarError as e:
        raise InvalidArchive(f"invalid archive: not a tar file ({e})") from None
    with tf:
        try:
            yield Archive(tf)
        except tarfile.TarError as e:
            raise InvalidArchive(f"invalid archive: {e}") from None


def read_images(archive: Archive) -> list[ArchiveImage]:
    if archive.has("manifest.json"):
        return _docker_archive(archive)
    if archive.has("index.json"):
        return _oci_layout(archive)
    raise InvalidArchive("invalid archive: neither manifest.json nor index.json found")
