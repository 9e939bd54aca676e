"""RUN: the command (exec form, a heredoc script, or the shell form) in a runc
container of the step's filesystem (step_fs.py), with the stage's environment, the
build args and proxies, and the network it asks for. Imported only when a RUN step
misses the cache: a cached build never loads the runtime."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable

from ..errors import DockerfileError
from . import step_fs
from .settings import NETWORK_MODES, BuildSettings

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from ..runtime.runc import Runtime
    from .parser import Node
    from .run_mounts import Prepared
    from .state import State

_ONLY_HEREDOC = re.compile(r"<<-?(?:\"[^\"]*\"|'[^']*'|[A-Za-z0-9_.-]+)")
# build args Docker knows without an ARG line (proxies); seen by RUN, never kept
PREDEFINED_ARGS = (
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "FTP_PROXY",
    "ftp_proxy",
    "NO_PROXY",
    "no_proxy",
    "ALL_PROXY",
    "all_proxy",
)


def run(
    runtime: Runtime,
    settings: BuildSettings,
    state: State,
    node: Node,
    fs: step_fs.StepFS,
    sandbox: Callable[[], tuple[str, str]],
    out: Callable[[str], None],
    name: str,
    mounts: Prepared | None = None,
    scratch: str | None = None,
    capabilities: tuple[str, ...] | None = None,
) -> str:
    """Run ``node`` in ``fs``; what the image's history says made the layer.
    ``sandbox``: the network namespace (path, address) the build's RUN steps share on
    the default bridge. ``name``: the Dockerfile's, for ``NAME:LINE: ...`` errors.
    ``mounts``: its ``--mount``s, made (run_mounts.py); a step given a secret in a
    variable writes its bundle under ``scratch`` (the run root), never in the store.
    ``capabilities``: every one, for ``--security=insecure``."""
    from ..network.hostfiles import with_gateway, write_host_files
    from ..runtime.spec import Bind, ProcessSpec

    cfg = state.config
    if node.json is not None:
        argv = list(node.json)
        shown = f"RUN {json.dumps(argv)}"
    elif node.heredocs and _ONLY_HEREDOC.fullmatch(node.text.strip()):
        # the heredoc is the script: its shell expands what it holds when it runs
        argv = [*state.shell, node.heredocs[0].content]
        shown = f"RUN {node.text}"
    else:
        # "RUN <<EOF cat > f": the shell gets the line and the bodies, as BuildKit
        # passes them, and reads each heredoc itself (quoting rules included)
        script = node.text + "".join(f"\n{d.content}{d.name}" for d in node.heredocs)
        argv = [*state.shell, script]
        shown = f"RUN {' '.join(state.shell)} {node.text}"
    env = list(cfg.get("Env") or [])
    keys = {e.partition("=")[0] for e in env}
    env += [f"{k}={v}" for k, v in state.args.items() if k not in keys]
    for arg in PREDEFINED_ARGS:
        value = settings.build_args.get(arg)
        if value is not None and arg not in keys:
            env.append(f"{arg}={value}")
    if mounts is not None:
        env += mounts.env
    hostname = os.urandom(6).hex()
    bundle = f"{fs.work}-bundle"
    if mounts is not None and mounts.env and scratch is not None:
        from ..store.tempnames import temp_name

        os.makedirs(scratch, mode=0o700, exist_ok=True)
        bundle = os.path.join(scratch, temp_name())
    os.mkdir(bundle, 0o700)
    network = node.flags.get("network") or settings.network
    if network not in NETWORK_MODES:
        raise DockerfileError(name, node.line, f"RUN --network={network}: default, none or host")
    namespace, ip = "", ""
    if network in ("default", "bridge"):  # the default bridge, as Docker's builders
        namespace, ip = sandbox()
    hosts = with_gateway(settings.add_hosts, settings.host_gateway)
    written = write_host_files(bundle, hostname, network == "host", ip, hosts)
    binds = [Bind(source, target) for source, target in written]
    out(f" ---> Running in {hostname}")
    code = step_fs.run_process(
        runtime,
        fs,
        bundle,
        ProcessSpec(args=argv, env=env, cwd=cfg.get("WorkingDir") or "/"),
        cfg.get("User") or "",
        hostname,
        binds,
        "host" if network == "host" else namespace,
        out,
        tuple(mounts.mounts) if mounts is not None else (),
        capabilities,
    )
    if code != 0:
        raise DockerfileError(
            name,
            node.line,
            f"The command '{' '.join(argv)}' returned a non-zero code: {code}",
        )
    return shown
