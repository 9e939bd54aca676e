"""An OCI bundle's ``config.json``: the one place it is written and read back.

Every container runc runs (``run``, a build's RUN step) gets its config this way, and
``exec`` reads the container's process from it. It is written as every small file the
store depends on: to a temporary file in the bundle, fsynced, renamed over
``config.json``, and the bundle fsynced. A failed write leaves the previous config.json
(a restart's) as it was and no temporary file behind; runc never reads half a config.
"""

from __future__ import annotations

import os

from .. import fastjson
from ..store.content import fsync_dir
from ..store.tempnames import remove_file, temp_name
from .spec import ContainerSpec, config_json

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import Any

    from _typeshed import StrPath

CONFIG = "config.json"


def write_config(bundle: StrPath, spec: ContainerSpec) -> None:
    """``spec`` as the bundle's config.json, replacing any there atomically."""
    data = fastjson.dumps(config_json(spec)).encode()
    tmp = os.path.join(bundle, f".{CONFIG}.{temp_name()}")
    try:
        with open(tmp, "xb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.rename(tmp, os.path.join(bundle, CONFIG))
    except BaseException:
        remove_file(tmp)
        raise
    fsync_dir(bundle)


def read_process(bundle: StrPath) -> dict[str, Any]:
    """The OCI process object of the config.json in ``bundle``."""
    with open(os.path.join(bundle, CONFIG), "rb") as f:
        process: dict[str, Any] = fastjson.loads(f.read())["process"]
    return process
