"""Image references, normalised exactly as Docker does.

    busybox                   -> docker.io/library/busybox:latest   (shown as busybox:latest)
    user/app:1                -> docker.io/user/app:1               (shown as user/app:1)
    localhost:5000/a/b        -> localhost:5000/a/b:latest
    name@sha256:<hex>         -> docker.io/library/name@sha256:<hex>

The grammar is the one of the distribution project's ``reference`` package: a name is an
optional domain (a first component holding a '.' or ':' or equal to ``localhost``) and
lower-case path components; a tag is up to 128 word characters; a digest is
``algorithm:hex``. It is matched by hand (image/reference_grammar.py), to the letter of
the regular expression it was, so ``images`` and ``inspect`` need not import ``re``.
"""

from __future__ import annotations

from ..errors import InvalidReference
from ..records import dataclass
from .reference_grammar import is_full_hex_id, is_tag, match_reference

DEFAULT_DOMAIN = "docker.io"
LEGACY_DOMAIN = "index.docker.io"
OFFICIAL_PREFIX = "library/"
DEFAULT_TAG = "latest"
NAME_TOTAL_LENGTH_MAX = 255


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
    if is_full_hex_id(text):
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
    m = match_reference(normalised)
    if m is None:
        raise InvalidReference("invalid reference format")
    # the domain is None when the first component is a path component but no domain
    # (``my_registry.com/app``): so it always was, a quirk kept here as it is
    matched_domain, path, tag, digest = m
    name = path if matched_domain is None else f"{matched_domain}/{path}"
    if len(name) > NAME_TOTAL_LENGTH_MAX:
        raise InvalidReference(
            f"invalid reference format: repository name must not be more than "
            f"{NAME_TOTAL_LENGTH_MAX} characters"
        )
    if digest is not None and not digest.startswith("sha256:"):
        raise InvalidReference(f"unsupported digest algorithm: {digest}")
    if digest is not None and len(digest) != len("sha256:") + 64:
        raise InvalidReference("invalid checksum digest length")
    return Reference(matched_domain, path, tag, digest)  # type: ignore[arg-type]


def parse_tagged(text: str) -> Reference:
    """``parse`` plus Docker's default tag ``latest``."""
    return parse(text).with_default_tag()


def valid_tag(tag: str) -> bool:
    return is_tag(tag)


def familiar(full: str) -> str:
    """Short form of a stored, fully qualified name (``docker.io/library/x:1`` -> ``x:1``)."""
    return parse(full).familiar()
