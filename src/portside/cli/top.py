"""portside top: the running processes of a container, as ps shows them."""

from __future__ import annotations

from .context import Context, Parser
from .output import tabwrite


def run(ctx: Context, argv: list[str]) -> int:
    p = Parser(ctx.verb, "CONTAINER [ps OPTIONS]", "Display the running processes of a container")
    p.add_argument("container", nargs="?")
    p.add_argument("ps_args", nargs="...")
    args = p.parse_args(argv)
    p.need([args.container] if args.container else [], 1)
    titles, rows = ctx.engine.lifecycle.top(args.container, args.ps_args)
    tabwrite(["\t".join(titles), *("\t".join(r) for r in rows)], ctx.stdout, minwidth=20)
    return 0
