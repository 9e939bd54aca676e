"""portside system service: serve the Docker Engine API (api/) until a signal or idle."""

from __future__ import annotations

import signal
import threading
from types import FrameType

from ..errors import UsageError
from .context import Context, Parser

WARNING = "the API socket gives root-equivalent control of this machine; guard who can reach it"
WARNING_ROOTLESS = "the API socket gives control of your containers and files; guard it"


def default_uri(ctx: Context) -> str:
    return f"unix://{ctx.settings.api_socket}"


def run(ctx: Context, argv: list[str]) -> int:
    p = Parser(ctx.verb, "[OPTIONS] [URI]", "Serve the Docker Engine API")
    p.add_argument(
        "-t", "--time", type=float, default=0.0, help="Seconds idle before exiting (0: never)"
    )
    p.add_argument("-H", "--host", default="", help="Listen on unix:///PATH or tcp://HOST:PORT")
    p.add_argument("--debug-requests", action="store_true", help="Log every request")
    p.add_argument("uri", nargs="?", default="")
    args = p.parse_args(argv)
    if args.host and args.uri and args.host != args.uri:
        raise UsageError("give the address once: as URI or with --host")
    uri = args.uri or args.host or default_uri(ctx)
    from ..api.server import listen, serve

    server = listen(uri, ctx.settings, verbose=args.debug_requests)
    # the store's database held open (and migrated) while serving: each request opens a
    # connection of its own, and when the last one closed SQLite checkpointed the WAL and
    # deleted its files, for the next request to make again
    ctx.engine.store  # noqa: B018 - opened for its side effect

    def stop(signum: int, frame: FrameType | None) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    from ..userns import rootless

    warning = WARNING_ROOTLESS if rootless() else WARNING
    ctx.stderr.write(f"portside: serving the Docker Engine API on {uri}; {warning}\n")
    ctx.stderr.flush()
    try:
        serve(server, args.time)
    finally:
        server.server_close()
        if uri.startswith("unix://"):
            import os

            try:
                os.unlink(uri.removeprefix("unix://"))
            except FileNotFoundError:
                pass
    return 0
