"""portside attach: this terminal to a running container's input and output."""

from __future__ import annotations

from ..errors import Conflict
from .attaching import relay
from .context import Context, Parser


def run(ctx: Context, argv: list[str]) -> int:
    p = Parser(
        ctx.verb,
        "[OPTIONS] CONTAINER",
        "Attach local standard input, output, and error streams to a running container",
    )
    p.add_argument(
        "--detach-keys",
        default="ctrl-p,ctrl-q",
        help="Override the key sequence for detaching a container",
    )
    p.add_argument("--no-stdin", action="store_true", help="Do not attach STDIN")
    p.add_go_bool("--sig-proxy", True, "Proxy all received signals to the process")
    p.add_argument("container", nargs="*")
    args = p.parse_args(argv)
    p.need(args.container, 1, 1)
    containers = ctx.engine.containers
    row = containers.get(args.container[0])
    if row.status == "paused":
        raise Conflict("You cannot attach to a paused container, unpause it first")
    if row.status != "running":
        raise Conflict("You cannot attach to a stopped container, start it first")
    sock = ctx.engine.attach.connect(row.id)
    outcome = relay(ctx, row, sock, sig_proxy=args.sig_proxy, stdin=not args.no_stdin)
    if outcome == "detached":
        return 0
    return ctx.engine.lifecycle.wait(row.id)
