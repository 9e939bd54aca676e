"""portside port: a running container's published ports, as Docker lists them."""

from __future__ import annotations

from ..errors import NotFound
from .context import Context, Parser


def run(ctx: Context, argv: list[str]) -> int:
    p = Parser(
        ctx.verb,
        "CONTAINER [PRIVATE_PORT[/PROTO]]",
        "List port mappings or a specific mapping for the container",
    )
    p.add_argument("args", nargs="*")
    args = p.parse_args(argv)
    p.need(args.args, 1, 2)
    ref = args.args[0]
    row = ctx.engine.containers.get(ref)
    ports = ctx.engine.containers.ports().get(row.id) or {}
    if len(args.args) == 2:
        from ..engine.ports import port_key

        key = port_key(args.args[1])
        binds = ports.get(key)
        if not binds:
            raise NotFound(f"No public port '{key}' published for {ref}")
        for b in binds:
            ctx.stdout.write(f"{b['HostIp']}:{b['HostPort']}\n")
        return 0
    for key in sorted(ports, key=lambda k: (int(k.partition("/")[0]), k)):
        for b in ports[key] or []:
            ctx.stdout.write(f"{key} -> {b['HostIp']}:{b['HostPort']}\n")
    return 0
