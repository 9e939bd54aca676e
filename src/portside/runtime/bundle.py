"""An OCI bundle's ``config.json``: the one place it is written and read back.

Every container runc runs (``run``, a build's RUN step) gets its config this way, and
``exec`` reads the container's process from it. It is written to a temporary file in
the bundle and renamed over ``config.json``: a failed write leaves the previous
config.json (a restart's) as it was and no temporary file behind, and runc never reads
half a config. Nothing is fsynced: the file is made anew at every start and read only
while the container runs, so after a crash, which ends every container, nobody reads
the old one (two fsyncs cost each start about 2 ms here).
"""

from __future__ import annotations

import os

from .. import fastjson
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
        os.rename(tmp, os.path.join(bundle, CONFIG))
    except BaseException:
        remove_file(tmp)
        raise


def read_process(bundle: StrPath) -> dict[str, Any]:
    """The OCI process object of the config.json in ``bundle``."""
    with open(os.path.join(bundle, CONFIG), "rb") as f:
        process: dict[str, Any] = fastjson.loads(f.read())["process"]
    return process
