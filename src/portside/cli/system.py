"""portside system COMMAND"""

from __future__ import annotations

from .context import Context, run_command

SUBCOMMANDS = {"info": "info"}


def run(ctx: Context, argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        ctx.stdout.write(
            "Usage:  portside system COMMAND\n\nManage portside\n\nCommands:\n"
            "  info        Display system-wide information\n"
        )
        return 0
    module = SUBCOMMANDS.get(argv[0])
    if module is None:
        ctx.stderr.write(
            f"portside: 'system {argv[0]}' is not a portside command.\n"
            "See 'portside system --help'\n"
        )
        return 1
    return run_command(ctx, f"system {argv[0]}", module, argv[1:])
