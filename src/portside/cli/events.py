"""portside events: the journal's events between --since and --until (or, without
--until, new ones as they come until interrupted), one line each as Docker prints them."""

from __future__ import annotations

import time
from typing import Any

from ..engine.events import Event, EventOptions
from ..engine.logs import log_time
from .context import Context, Parser
from .filters import parse_filters

# Go's field names of Docker's events.Message, for --format, and their JSON keys
_GO_FIELDS = {
    "Status": "status",
    "ID": "id",
    "From": "from",
    "Scope": "scope",
    "Time": "time",
    "TimeNano": "timeNano",
}


class _Message(dict[str, Any]):
    """Docker's message as JSON keys (``{{json .}}``), reachable by Go's field names
    too (``{{.Status}}``, ``{{.TimeNano}}``)."""

    def __contains__(self, key: object) -> bool:
        return dict.__contains__(self, _GO_FIELDS.get(str(key), key))

    def __getitem__(self, key: str) -> Any:
        return dict.__getitem__(self, _GO_FIELDS.get(key, key))


def pretty(event: Event) -> str:
    """``2026-12-06T04:12:00.123456789Z container start 3f2a… (image=busybox, name=web)``"""
    seconds, nanos = divmod(event.time_nano, 10**9)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{nanos:09d}Z"
    line = f"{stamp} {event.type} {event.action} {event.actor_id}"
    if event.attributes:
        attrs = ", ".join(f"{k}={event.attributes[k]}" for k in sorted(event.attributes))
        line += f" ({attrs})"
    return line


def run(ctx: Context, argv: list[str]) -> int:
    p = Parser(ctx.verb, "[OPTIONS]", "Get real time events from the server")
    p.add_argument(
        "-f", "--filter", action="append", default=[], help="Filter output based on conditions"
    )
    p.add_argument("--format", default="", help="Format the output using the given Go template")
    p.add_argument("--since", default=None, help="Show all events created since timestamp")
    p.add_argument("--until", default=None, help="Stream events until this timestamp")
    args = p.parse_args(argv)
    options = EventOptions(
        since=log_time(args.since) if args.since else None,
        until=log_time(args.until) if args.until else None,
        filters=parse_filters(args.filter),
    )
    template = None
    if args.format:
        from .gotemplate import Template

        source = args.format.replace("\\t", "\t").replace("\\n", "\n")
        template = Template("{{json .}}" if args.format == "json" else source)
    out = ctx.stdout
    for event in ctx.engine.events.read(options):
        if template is None:
            out.write(pretty(event) + "\n")
        else:
            out.write(template.render(_Message(event.docker_json())) + "\n")
        out.flush()
    return 0
