"""portside container prune"""

from __future__ import annotations

from ..units import human_size
from .context import Context, Parser
from .prompt import confirm


def run(ctx: Context, argv: list[str]) -> int:
    p = Parser(ctx.verb, "[OPTIONS]", "Remove all stopped containers")
    p.add_argument("-f", "--force", action="store_true", help="Do not prompt for confirmation")
    p.add_argument(
        "--filter", action="append", metavar="filter", default=[], help="Provide filter values"
    )
    args = p.parse_args(argv)
    if not args.force and not confirm(ctx, "WARNING! This will remove all stopped containers."):
        return 0
    removed, freed = ctx.engine.containers.prune()
    if removed:
        ctx.stdout.write("Deleted Containers:\n" + "".join(f"{i}\n" for i in removed) + "\n")
    ctx.stdout.write(f"Total reclaimed space: {human_size(freed)}\n")
    return 0
