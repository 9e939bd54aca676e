"""portside builder COMMAND: the build cache (``builder prune``), its words parsed here."""

from __future__ import annotations

from ..units import human_size
from .context import Context, Parser
from .prompt import confirm
from .verbs import GROUP, group_usage, group_verb


def run(ctx: Context, argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        ctx.stdout.write(group_usage(GROUP["builder"]))
        return 0 if argv else 1
    if group_verb(GROUP["builder"], argv[0]) is None:  # its one verb, prune, is here
        from ..errors import UsageError

        raise UsageError(f"unknown command: portside builder {argv[0]}")
    p = Parser("builder prune", "[OPTIONS]", "Remove build cache")
    p.add_argument("-a", "--all", action="store_true", help="Remove all unused build cache")
    p.add_argument("-f", "--force", action="store_true", help="Do not prompt for confirmation")
    p.add_argument(
        "--filter",
        action="append",
        default=[],
        help='Provide filter values (e.g. "type=exec.cachemount")',
    )
    args = p.parse_args(argv[1:])
    from ..engine.builds import CACHE_TYPES

    types: set[str] = set()
    for value in args.filter:
        key, _, wanted = value.partition("=")
        if key != "type" or wanted not in CACHE_TYPES:
            from ..errors import InvalidArgument

            raise InvalidArgument(f'invalid filter "{value}": type=regular or type=exec.cachemount')
        types.add(wanted)
    warning = (
        "WARNING! This will remove all build cache."
        if args.all
        else "WARNING! This will remove all dangling build cache."
    )
    if not args.force and not confirm(ctx, warning):
        return 0
    keys, reclaimed = ctx.engine.builds.prune(args.all, frozenset(types or CACHE_TYPES))
    if keys:
        ctx.stdout.write("Deleted build cache objects:\n")
        for key in keys:
            ctx.stdout.write(key.removeprefix("sha256:")[:25] + "\n")
        ctx.stdout.write("\n")
    ctx.stdout.write(f"Total reclaimed space: {human_size(reclaimed)}\n")
    return 0
