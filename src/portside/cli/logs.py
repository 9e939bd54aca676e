"""portside logs"""

from __future__ import annotations

import sys

from ..errors import UsageError
from ..runtime import logs as logfile
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
    since = logfile.parse_time(args.since) if args.since else None
    until = logfile.parse_time(args.until) if args.until else None
    containers = ctx.engine.containers
    row = containers.get(args.container[0])

    out, err = sys.stdout.buffer, sys.stderr.buffer
    for line in logfile.read(
        containers.paths(row.id).log,
        tail,
        since,
        until,
        args.follow,
        lambda: containers.active(row.id),
    ):
        stream = err if line.stream == "stderr" else out
        if args.timestamps:
            stream.write(line.time.encode() + b" ")
        stream.write(line.data)
        stream.flush()
    return 0
