"""portside import"""

from __future__ import annotations

import sys

from ..errors import InvalidArgument
from ..progress import ByteProgress
from .context import Context, Parser

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import BinaryIO


def run(ctx: Context, argv: list[str]) -> int:
    p = Parser(
        ctx.verb,
        "[OPTIONS] file|URL|- [REPOSITORY[:TAG]]",
        "Import the contents from a tarball to create a filesystem image",
    )
    p.add_image_flags("Set commit message for imported image")
    p.add_argument(
        "--platform", default="", help="Set platform if server is multi-platform capable"
    )
    p.add_argument("source", nargs="?")
    p.add_argument("reference", nargs="?")
    args = p.parse_args(argv)
    p.need([a for a in (args.source, args.reference) if a], 1, 2)
    source = args.source
    if source.startswith(("http://", "https://")):
        raise InvalidArgument(
            "importing from a URL is not supported yet; download it and pass the file"
        )
    stream: BinaryIO
    if source == "-":
        stream = sys.stdin.buffer
    else:
        try:
            stream = open(source, "rb")  # noqa: SIM115 - closed below
        except OSError as e:
            raise InvalidArgument(
                f"open {source}: {e.strerror.lower() if e.strerror else e}"
            ) from None
    progress = ByteProgress(ctx.stderr, "Importing")
    try:
        image_id = ctx.engine.image_io.import_image(
            stream, args.reference, args.change, args.message, "-", progress.update
        )
    finally:
        progress.close()
        if stream is not sys.stdin.buffer:
            stream.close()
    ctx.stdout.write(image_id + "\n")
    return 0
