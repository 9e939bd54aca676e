"""portside load / image load"""

from __future__ import annotations

import sys

from ..errors import InvalidArgument
from ..progress import ByteProgress
from .context import Context, Parser

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import BinaryIO


def run(ctx: Context, argv: list[str]) -> int:
    p = Parser(ctx.verb, "[OPTIONS]", "Load an image from a tar archive or STDIN")
    p.add_argument("-i", "--input", default="", help="Read from tar archive file, instead of STDIN")
    p.add_argument("-q", "--quiet", action="store_true", help="Suppress the load output")
    args = p.parse_args(argv)
    stream: BinaryIO
    if args.input:
        try:
            stream = open(args.input, "rb")  # noqa: SIM115 - closed below
        except OSError as e:
            raise InvalidArgument(f"open {args.input}: {(e.strerror or str(e)).lower()}") from None
    else:
        if sys.stdin.isatty():
            raise InvalidArgument("requested load from stdin, but stdin is empty")
        stream = sys.stdin.buffer
    progress = None if args.quiet else ByteProgress(ctx.stderr, "Loading")
    try:
        loaded = ctx.engine.image_io.load(stream, progress.update if progress else None)
    finally:
        if progress:
            progress.close()
        if args.input:
            stream.close()
    for image in loaded:
        for name, old in image.replaced:
            ctx.stdout.write(
                f"The image {name} already exists, renaming the old one with ID {old} "
                "to empty string\n"
            )
        if image.tags:
            for name in image.tags:
                ctx.stdout.write(f"Loaded image: {name}\n")
        else:
            ctx.stdout.write(f"Loaded image ID: {image.id}\n")
    return 0
