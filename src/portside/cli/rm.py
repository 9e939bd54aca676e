"""portside rm"""

from __future__ import annotations

from ..engine.targets import RemoveOptions
from .context import Context, Parser
from .reports import write_reports


def run(ctx: Context, argv: list[str]) -> int:
    p = Parser(ctx.verb, "[OPTIONS] CONTAINER [CONTAINER...]", "Remove one or more containers")
    p.add_argument(
        "-f",
        "--force",
        action="store_true",
        help="Force the removal of a running container (uses SIGKILL)",
    )
    p.add_argument(
        "-v",
        "--volumes",
        action="store_true",
        help="Remove anonymous volumes associated with the container",
    )
    p.add_argument("-l", "--link", action="store_true", help="Remove the specified link")
    p.add_argument("containers", nargs="*")
    args = p.parse_args(argv)
    p.need(args.containers, 1)
    options = RemoveOptions(args.force, args.volumes)
    return write_reports(ctx, ctx.engine.targets.remove(args.containers, options))
