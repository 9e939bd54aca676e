"""Image names as front ends show them: Docker's normalisation (``node`` is
``docker.io/library/node:latest``) and its familiar short form, from ``image.reference``."""

from __future__ import annotations

from ..image.reference import parse, parse_tagged
from ..records import dataclass


@dataclass(frozen=True)
class ImageName:
    familiar_name: str  # the repository as Docker shows it: "busybox", "localhost:5000/app"
    tag: str = ""  # "" when the name has none
    digest: str = ""  # "" when the name has none


def image_name(name: str) -> ImageName:
    """A stored name (``docker.io/library/busybox:1.36``) split as ``images`` shows it."""
    ref = parse(name)
    return ImageName(ref.familiar_name, ref.tag or "", ref.digest or "")


def normalized(name: str) -> str:
    """The full name, tagged ``latest`` when no tag or digest is given."""
    return str(parse_tagged(name))


def familiar(name: str) -> str:
    """The short name, tagged ``latest`` when no tag or digest is given (``busybox:latest``)."""
    return parse_tagged(name).familiar()
