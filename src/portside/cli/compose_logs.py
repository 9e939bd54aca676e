"""portside compose logs: every container's lines behind its name (``web-1  | …``),
coloured by service on a terminal only. Followed logs are read by one thread per
container, each with an engine of its own (a store connection is one thread's)."""

from __future__ import annotations

import sys
import threading

from ..engine.logs import LogOptions
from ..errors import UsageError
from .compose import project
from .context import Context, Parser

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import BinaryIO

    from ..engine.rows import ContainerRow

_COLOURS = ("36", "33", "32", "35", "34", "96", "93", "92", "95", "94")


class Prefixes:
    """The ``name  | `` before each line: padded to the longest, coloured per service."""

    def __init__(self, names: list[str], services: list[str], colour: bool) -> None:
        width = max((len(n) for n in names), default=0)
        order = list(dict.fromkeys(services))
        self.text: dict[str, bytes] = {}
        for name, service in zip(names, services, strict=True):
            plain = f"{name:<{width}}  | "
            if colour:
                code = _COLOURS[order.index(service) % len(_COLOURS)]
                plain = f"\x1b[{code}m{name:<{width}}  |\x1b[0m "
            self.text[name] = plain.encode()


def show(
    ctx: Context,
    rows: list[ContainerRow],
    project_name: str,
    follow: bool,
    tail: int | None,
    timestamps: bool = False,
    out: BinaryIO | None = None,
    prefix: bool = True,
    exits: bool = False,
) -> None:
    """The logs of ``rows``; with ``follow``, until every one of them has stopped
    (``exits``: then ``web-1 exited with code 0``, as ``up`` says)."""
    from ..compose.project_state import service_of, short_name

    stream = out or sys.stdout.buffer
    names = [short_name(r, project_name) for r in rows]
    prefixes = Prefixes(names, [service_of(r) for r in rows], stream.isatty())
    if not prefix:
        prefixes.text = dict.fromkeys(names, b"")
    lock = threading.Lock()
    options = LogOptions(follow=follow, tail=tail, timestamps=timestamps)

    def copy(row: ContainerRow, name: str) -> None:
        from ..engine import Engine

        engine = Engine(ctx.settings)
        try:
            for chunk in engine.logs.read(row.id, options, stopped=done.is_set):
                data = chunk.data if chunk.data.endswith(b"\n") else chunk.data + b"\n"
                with lock:
                    stream.write(prefixes.text[name] + data)
                    stream.flush()
            if exits and not done.is_set():
                code = engine.containers.get(row.id).exit_code
                with lock:
                    stream.write(f"{name} exited with code {code}\n".encode())
                    stream.flush()
        finally:
            engine.close()

    done = threading.Event()
    if not follow:
        _in_time_order(ctx, rows, names, prefixes, tail, timestamps, stream)
        return
    threads = [
        threading.Thread(target=copy, args=(row, name), daemon=True)
        for row, name in zip(rows, names, strict=True)
    ]
    for t in threads:
        t.start()
    try:
        for t in threads:
            while t.is_alive():
                t.join(0.2)
    finally:
        done.set()


def _in_time_order(
    ctx: Context,
    rows: list[ContainerRow],
    names: list[str],
    prefixes: Prefixes,
    tail: int | None,
    timestamps: bool,
    stream: BinaryIO,
) -> None:
    """Every container's lines, interleaved by the time each was written."""
    from ..timefmt import parse_rfc3339

    options = LogOptions(tail=tail, timestamps=True)
    lines: list[tuple[float, int, bytes]] = []
    for row, name in zip(rows, names, strict=True):
        for chunk in ctx.engine.logs.read(row.id, options):
            stamp, _, data = chunk.data.partition(b" ")
            shown = chunk.data if timestamps else data
            shown = shown if shown.endswith(b"\n") else shown + b"\n"
            lines.append((parse_rfc3339(stamp.decode()), len(lines), prefixes.text[name] + shown))
    for _, _, line in sorted(lines):
        stream.write(line)
    stream.flush()


def parse_tail(text: str) -> int | None:
    if text == "all":
        return None
    if not text.lstrip("-").isdigit():
        raise UsageError(f'invalid value for "tail": {text!r}')
    return int(text) if int(text) >= 0 else None


def run(ctx: Context, argv: list[str]) -> int:
    from ..compose.project_state import containers

    p = Parser(ctx.verb, "[OPTIONS] [SERVICE...]", "View output from containers")
    p.add_argument("-f", "--follow", action="store_true", help="Follow log output")
    p.add_argument(
        "-n", "--tail", default="all", help="Number of lines to show from the end of the logs"
    )
    p.add_argument("-t", "--timestamps", action="store_true", help="Show timestamps")
    p.add_argument("--no-log-prefix", action="store_true", help="Don't print prefix in logs")
    p.add_argument("service", nargs="*")
    args = p.parse_args(argv)
    proj = project(ctx, args.service)
    rows = containers(ctx.engine, proj.name, args.service)
    tail = parse_tail(args.tail)
    show(ctx, rows, proj.name, args.follow, tail, args.timestamps, prefix=not args.no_log_prefix)
    return 0
