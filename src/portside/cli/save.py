"""portside save / image save"""

from __future__ import annotations

from .context import Context, Parser
from .output import write_archive_output


def run(ctx: Context, argv: list[str]) -> int:
    p = Parser(
        ctx.verb,
        "[OPTIONS] IMAGE [IMAGE...]",
        "Save one or more images to a tar archive (streamed to STDOUT by default)",
    )
    p.add_argument("-o", "--output", default="", help="Write to a file, instead of STDOUT")
    p.add_argument("images", nargs="*")
    args = p.parse_args(argv)
    p.need(args.images, 1)
    write_archive_output(args.output, lambda out: ctx.engine.image_io.save(args.images, out))
    return 0
