"""Platforms of a build: the one it runs on (BUILDPLATFORM) and the one it builds for
(TARGETPLATFORM), and the automatic build args BuildKit derives from them.

As BuildKit's, the automatic args (``BUILDPLATFORM``, ``BUILDOS``, ``BUILDARCH``,
``BUILDVARIANT``, ``TARGETPLATFORM``, ``TARGETOS``, ``TARGETARCH``, ``TARGETVARIANT``)
are known to every FROM line without a declaration, and inside a stage once it says
``ARG TARGETARCH`` (or another of them). This builder runs RUN steps natively, so the
target must be the machine's own platform: another one (``--platform linux/arm64``
on amd64, ``FROM --platform=linux/arm64``) is refused before anything runs, naming
what building for it would need.
"""

from __future__ import annotations

from ..errors import DockerfileError, InvalidArgument
from ..image.host import host_platform, host_variant, parse_platform
from ..records import dataclass
from .shell import process_word

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from .instructions import Stage

# what users write for an architecture, in OCI's words (containerd's normalisation)
_ARCH_ALIASES = {"x86_64": "amd64", "x86-64": "amd64", "aarch64": "arm64", "armhf": "arm"}


@dataclass(frozen=True)
class Platform:
    os: str
    architecture: str
    variant: str = ""

    def __str__(self) -> str:
        return "/".join(p for p in (self.os, self.architecture, self.variant) if p)


def native() -> Platform:
    os_name, arch = host_platform()
    return Platform(os_name, arch, host_variant())


def parse(text: str) -> Platform:
    """``linux/amd64``, ``linux/arm/v7``, ``linux/arm64/v8`` (= ``linux/arm64``), a
    bare ``amd64`` (Linux's) or a bare ``linux`` (this machine's architecture), as
    containerd reads them; InvalidArgument for anything else."""
    text = text.strip().lower()
    if text in ("linux", "windows", "darwin", "freebsd"):
        text = f"{text}/{native().architecture}"
    elif "/" not in text and text:
        text = f"linux/{text}"
    os_name, arch, variant = parse_platform(text)
    arch = _ARCH_ALIASES.get(arch, arch)
    if arch == "arm64" and variant in ("8", "v8"):
        variant = ""
    if arch == "arm" and not variant:
        variant = "v7"
    if arch == "amd64" and variant == "v1":
        variant = ""
    return Platform(os_name, arch, variant)


def check_native(platform: Platform) -> None:
    """InvalidArgument unless ``platform`` is this machine's: RUN steps run natively."""
    host = native()
    if platform == host:
        return
    raise InvalidArgument(
        f"platform {platform} is not this machine's ({host}): building for it needs "
        f"emulation (binfmt_misc handlers with qemu-user-static), which portside does not use"
    )


def check_stage(stage: Stage, global_args: dict[str, str], name: str) -> None:
    """FROM --platform=…, expanded (``$BUILDPLATFORM``): the machine's own, else
    ``NAME:LINE: platform … is not this machine's``."""
    if stage.platform is None:
        return
    try:
        check_native(parse(process_word(stage.platform, global_args)))
    except InvalidArgument as e:
        raise DockerfileError(name, stage.line, str(e)) from None


def automatic_args(build: Platform, target: Platform) -> dict[str, str]:
    """BuildKit's automatic platform args."""
    return {
        "BUILDPLATFORM": str(build),
        "BUILDOS": build.os,
        "BUILDARCH": build.architecture,
        "BUILDVARIANT": build.variant,
        "TARGETPLATFORM": str(target),
        "TARGETOS": target.os,
        "TARGETARCH": target.architecture,
        "TARGETVARIANT": target.variant,
    }
