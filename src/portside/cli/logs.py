"""portside logs"""

from __future__ import annotations

import sys

from ..engine.logs import LogOptions, log_time
from ..errors import UsageError
from .context import Context, Parser


def run(ctx: Context, argv: list[str]) -> int:
    p = Parser(ctx.verb, "[OPTIONS] CONTAINER", "Fetch the logs of a container")
    p.add_argument("--details", action="store_true", help="Show extra details provided to logs")
    p.add_argument("-f", "--follow", action="store_true", help="Follow log output")
    p.add_argument("--since", default=None, help="Show logs since timestamp or relative (e.g. 42m)")
    p.add_argument(
        "-n", "--tail", default="all", help="Number of lines to show from the end of the logs"
    )
    p.add_argument("-t", "--timestamps", action="store_true", help="Show timestamps")
    p.add_argument(
        "--until", default=None, help="Show logs before a timestamp or relative (e.g. 42m)"
    )
    p.add_argument("container", nargs="*")
    args = p.parse_args(argv)
    p.need(args.container, 1, 1)
    tail = None
    if args.tail != "all":
        if not args.tail.lstrip("-").isdigit():
            raise UsageError(f'invalid value for "tail": {args.tail!r}')
        tail = int(args.tail) if int(args.tail) >= 0 else None
    options = LogOptions(
        follow=args.follow,
        tail=tail,
        since=log_time(args.since) if args.since else None,
        until=log_time(args.until) if args.until else None,
        timestamps=args.timestamps,
    )
    out, err = sys.stdout.buffer, sys.stderr.buffer
    for chunk in ctx.engine.logs.read(args.container[0], options):
        stream = err if chunk.stream == "stderr" else out
        stream.write(chunk.data)
        stream.flush()
    return 0
