"""portside container health-status ID STATUS: the healthcheck prober's report of a
changed status (not for users): records it on the container and as an event."""

from __future__ import annotations

import os

from .context import Context, Parser


def run(ctx: Context, argv: list[str]) -> int:
    p = Parser(ctx.verb, "CONTAINER STATUS", "Record a container's new health status")
    p.add_argument("args", nargs="*")
    args = p.parse_args(argv)
    p.need(args.args, 2, 2)
    if not os.path.exists(f"{ctx.engine.settings.root}/metadata.db"):
        return 0  # the store was removed while the container ran: nothing to record
    ctx.engine.containers.state.record_health(args.args[0], args.args[1])
    return 0
