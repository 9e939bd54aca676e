"""portside export: a container's filesystem as a tar archive."""

from __future__ import annotations

from .context import Context, Parser
from .output import write_archive_output


def run(ctx: Context, argv: list[str]) -> int:
    p = Parser(ctx.verb, "[OPTIONS] CONTAINER", "Export a container's filesystem as a tar archive")
    p.add_argument("-o", "--output", default="", help="Write to a file, instead of STDOUT")
    p.add_argument("container", nargs="*")
    args = p.parse_args(argv)
    p.need(args.container, 1, 1)
    write_archive_output(args.output, lambda out: ctx.engine.files.export(args.container[0], out))
    return 0
