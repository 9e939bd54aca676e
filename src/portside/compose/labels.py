"""What Docker Compose writes on what it makes, so that ``up`` finds them again and
other tools (and ``docker compose`` itself) see a Compose project: the names
(``PROJECT-SERVICE-N``, network ``PROJECT_default``, volume ``PROJECT_NAME``) and the
``com.docker.compose.*`` labels, among them the service's configuration hash that
decides whether ``up`` recreates a container.
"""

from __future__ import annotations

import json

from ..ids import sha256_hex

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import Any

PREFIX = "com.docker.compose"
PROJECT = f"{PREFIX}.project"
SERVICE = f"{PREFIX}.service"
NUMBER = f"{PREFIX}.container-number"
CONFIG_HASH = f"{PREFIX}.config-hash"
ONEOFF = f"{PREFIX}.oneoff"
WORKING_DIR = f"{PREFIX}.project.working_dir"
CONFIG_FILES = f"{PREFIX}.project.config_files"
VERSION = f"{PREFIX}.version"
DEPENDS_ON = f"{PREFIX}.depends_on"
IMAGE = f"{PREFIX}.image"
NETWORK = f"{PREFIX}.network"
VOLUME = f"{PREFIX}.volume"
COMPOSE_VERSION = "2.29.0"  # the Docker Compose whose behaviour and labels portside follows

# what may change without recreating a container: how many there are, and which
# profiles name the service; a rebuilt image is seen by its ID instead
_NOT_HASHED = ("scale", "profiles", "build")


def config_hash(service: dict[str, Any]) -> str:
    """The ``config-hash`` label: a digest of the service's configuration."""
    shown = {k: v for k, v in service.items() if k not in _NOT_HASHED}
    deploy = dict(shown.get("deploy") or {})
    deploy.pop("replicas", None)
    if deploy:
        shown["deploy"] = deploy
    else:
        shown.pop("deploy", None)
    text = json.dumps(shown, sort_keys=True, separators=(",", ":"), default=str)
    return sha256_hex(text)


def container_name(project: str, service: str, number: int) -> str:
    return f"{project}-{service}-{number}"


def oneoff_name(project: str, service: str, suffix: str) -> str:
    """``compose run``'s container: ``PROJECT-SERVICE-run-HEX``."""
    return f"{project}-{service}-run-{suffix}"


def project_filter(project: str) -> dict[str, list[str]]:
    return {"label": [f"{PROJECT}={project}"]}
