"""Image references, normalised exactly as Docker does.

    busybox                   -> docker.io/library/busybox:latest   (shown as busybox:latest)
    user/app:1                -> docker.io/user/app:1               (shown as user/app:1)
    localhost:5000/a/b        -> localhost:5000/a/b:latest
    name@sha256:<hex>         -> docker.io/library/name@sha256:<hex>

The grammar is the one of the distribution project's ``reference`` package: a name is an
optional domain (a first component holding a '.' or ':' or equal to ``localhost``) and
lower-case path components; a tag is up to 128 word characters; a digest is
``algorithm:hex``.
"""

from __future__ import annotations

import re

from ..errors import InvalidReference
from ..records import dataclass

DEFAULT_DOMAIN = "docker.io"
LEGACY_DOMAIN = "index.docker.io"
OFFICIAL_PREFIX = "library/"
DEFAULT_TAG = "latest"
NAME_TOTAL_LENGTH_MAX = 255

_ALNUM = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|[-]+)"
_PATH_COMPONENT = rf"{_ALNUM}(?:{_SEPARATOR}{_ALNUM})*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_IPV6 = r"\[(?:[a-fA-F0-9:]+)\]"
_HOST = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|{_IPV6})"
_DOMAIN = rf"{_HOST}(?::[0-9]+)?"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"

_REFERENCE = re.compile(
    rf"^(?P<name>(?:(?P<domain>{_DOMAIN})/)?(?P<path>{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*))"
    rf"(?::(?P<tag>{_TAG}))?(?:@(?P<digest>{_DIGEST}))?$"
)
_FULL_HEX_ID = re.compile(r"^[a-f0-9]{64}$")
_TAG_ONLY = re.compile(rf"^{_TAG}$")


@dataclass(frozen=True)
class Reference:
    domain: str
    path: str
    tag: str | None = None
    digest: str | None = None

    @property
    def name(self) -> str:
        """Fully qualified repository name: ``docker.io/library/busybox``."""
        return f"{self.domain}/{self.path}"

    @property
    def familiar_name(self) -> str:
        """The repository as Docker shows it: ``busybox``, ``user/app``, ``host:5000/a``."""
        if self.domain != DEFAULT_DOMAIN:
            return self.name
        if self.path.startswith(OFFICIAL_PREFIX) and self.path.count("/") == 1:
            return self.path[len(OFFICIAL_PREFIX) :]
        return self.path

    def __str__(self) -> str:
        return self.name + self._suffix()

    def familiar(self) -> str:
        return self.familiar_name + self._suffix()

    def _suffix(self) -> str:
        out = f":{self.tag}" if self.tag is not None else ""
        if self.digest is not None:
            out += f"@{self.digest}"
        return out

    def with_default_tag(self) -> Reference:
        """``busybox`` -> ``busybox:latest``; a reference with a digest keeps only it."""
        if self.tag is None and self.digest is None:
            return Reference(self.domain, self.path, DEFAULT_TAG)
        return self

    def with_tag(self, tag: str) -> Reference:
        return Reference(self.domain, self.path, tag)

    def with_digest(self, digest: str) -> Reference:
        return Reference(self.domain, self.path, None, digest)


def _split_domain(name: str) -> tuple[str, str]:
    first, slash, rest = name.partition("/")
    if not slash or (
        "." not in first and ":" not in first and first != "localhost" and first.lower() == first
    ):
        domain, remainder = DEFAULT_DOMAIN, name
    else:
        domain, remainder = first, rest
    if domain == LEGACY_DOMAIN:
        domain = DEFAULT_DOMAIN
    if domain == DEFAULT_DOMAIN and "/" not in remainder:
        remainder = OFFICIAL_PREFIX + remainder
    return domain, remainder


def parse(text: str) -> Reference:
    """Parse and normalise a reference as ``docker`` does (no default tag added)."""
    if _FULL_HEX_ID.match(text):
        raise InvalidReference(
            f"invalid repository name ({text}), cannot specify 64-byte hexadecimal strings"
        )
    if not text:
        raise InvalidReference("invalid reference format")
    name_part = text.split("@", 1)[0]
    # the tag is after the last ':' that follows the last '/'
    colon = name_part.rfind(":")
    if colon > name_part.rfind("/"):
        name_part = name_part[:colon]
    domain, remainder = _split_domain(name_part)
    if remainder.lower() != remainder:
        raise InvalidReference("invalid reference format: repository name must be lowercase")
    normalised = f"{domain}/{remainder}" + text[len(name_part) :]
    m = _REFERENCE.match(normalised)
    if not m:
        raise InvalidReference("invalid reference format")
    if len(m["name"]) > NAME_TOTAL_LENGTH_MAX:
        raise InvalidReference(
            f"invalid reference format: repository name must not be more than "
            f"{NAME_TOTAL_LENGTH_MAX} characters"
        )
    digest = m["digest"]
    if digest is not None and not digest.startswith("sha256:"):
        raise InvalidReference(f"unsupported digest algorithm: {digest}")
    if digest is not None and len(digest) != len("sha256:") + 64:
        raise InvalidReference("invalid checksum digest length")
    return Reference(m["domain"], m["path"], m["tag"], digest)


def parse_tagged(text: str) -> Reference:
    """``parse`` plus Docker's default tag ``latest``."""
    return parse(text).with_default_tag()


def valid_tag(tag: str) -> bool:
    return _TAG_ONLY.match(tag) is not None


def familiar(full: str) -> str:
    """Short form of a stored, fully qualified name (``docker.io/library/x:1`` -> ``x:1``)."""
    return parse(full).familiar()
