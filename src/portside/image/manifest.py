"""OCI and Docker manifest formats: media types, descriptors, and the manifests we write.

Configs are kept as the exact bytes they arrived in (an image ID is the sha256 of those
bytes); ``ImageConfig`` is a typed, read-only view over them.
"""

from __future__ import annotations

from .. import fastjson
from ..records import dataclass, field

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import Any

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar"
DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip"

MANIFEST_TYPES = frozenset({OCI_MANIFEST, DOCKER_MANIFEST})
INDEX_TYPES = frozenset({OCI_INDEX, DOCKER_LIST})

ANNOTATION_REF_NAME = "org.opencontainers.image.ref.name"
ANNOTATION_CONTAINERD_NAME = "io.containerd.image.name"


def canonical_json(value: Any) -> bytes:
    """Compact JSON with sorted keys, as Docker and containerd write configs and manifests."""
    return fastjson.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True)
class Descriptor:
    media_type: str
    digest: str
    size: int
    annotations: dict[str, str] = field(default_factory=dict)
    platform: dict[str, str] | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "mediaType": self.media_type,
            "digest": self.digest,
            "size": self.size,
        }
        if self.annotations:
            out["annotations"] = dict(self.annotations)
        if self.platform:
            out["platform"] = dict(self.platform)
        return out

    @classmethod
    def from_json(cls, value: Any) -> Descriptor:
        from ..errors import InvalidArchive
        from ..store.content import check_digest

        if not isinstance(value, dict):
            raise InvalidArchive(f"invalid descriptor: {value!r}")
        try:
            size = value["size"]
            if not isinstance(size, int) or size < 0:
                raise InvalidArchive(f"invalid descriptor size: {size!r}")
            return cls(
                media_type=str(value.get("mediaType", "")),
                digest=check_digest(str(value["digest"])),
                size=size,
                annotations=dict(value.get("annotations") or {}),
                platform=value.get("platform"),
            )
        except KeyError as e:
            raise InvalidArchive(f"descriptor without {e.args[0]!r}") from None


def oci_manifest(config: Descriptor, layers: list[Descriptor]) -> bytes:
    return canonical_json(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": config.to_json(),
            "layers": [layer.to_json() for layer in layers],
        }
    )


@dataclass(frozen=True)
class ImageConfig:
    """A read-only view of an image config (the OCI/Docker image JSON)."""

    raw: dict[str, Any]

    @classmethod
    def parse(cls, data: bytes) -> ImageConfig:
        from ..errors import InvalidArchive

        try:
            value = fastjson.loads(data)
        except ValueError as e:  # a UnicodeDecodeError or json.JSONDecodeError
            raise InvalidArchive(f"invalid image config: {e}") from None
        if not isinstance(value, dict):
            raise InvalidArchive("invalid image config: not a JSON object")
        rootfs = value.get("rootfs")
        if not isinstance(rootfs, dict) or not isinstance(rootfs.get("diff_ids", []), list):
            raise InvalidArchive("invalid image config: no rootfs.diff_ids")
        return cls(value)

    @property
    def diff_ids(self) -> list[str]:
        return [str(d) for d in self.raw["rootfs"].get("diff_ids") or []]

    @property
    def created(self) -> str:
        return str(self.raw.get("created") or "")

    @property
    def container_config(self) -> dict[str, Any]:
        return dict(self.raw.get("config") or {})

    @property
    def history(self) -> list[dict[str, Any]]:
        return list(self.raw.get("history") or [])

    @property
    def architecture(self) -> str:
        return str(self.raw.get("architecture", ""))

    @property
    def os(self) -> str:
        return str(self.raw.get("os", ""))
