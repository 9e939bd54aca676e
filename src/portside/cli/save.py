"""portside save / image save"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from ..errors import InvalidArgument
from .context import Context, Parser


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
    if not args.output:
        if sys.stdout.isatty():
            raise InvalidArgument(
                "cowardly refusing to save to a terminal. Use the -o flag or redirect"
            )
        ctx.engine.image_io.save(args.images, sys.stdout.buffer)
        sys.stdout.buffer.flush()
        return 0
    # write beside the target and rename, so a failed save leaves no half-written file
    target = Path(args.output)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent.absolute())
    umask = os.umask(0)
    os.umask(umask)
    os.fchmod(fd, 0o666 & ~umask)  # as a plain open() would, not mkstemp's 0600
    try:
        with os.fdopen(fd, "wb") as out:
            ctx.engine.image_io.save(args.images, out)
        os.replace(tmp, target)
    except BaseException:
        os.unlink(tmp)
        raise
    return 0
