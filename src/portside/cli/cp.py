"""portside cp: copy files and folders between a container and the host, or a tar stream."""

from __future__ import annotations

import sys

from ..errors import InvalidArgument
from ..units import human_size
from .context import Context, Parser


def split_arg(arg: str) -> tuple[str | None, str]:
    """(container, path) as Docker splits it: absolute paths and paths starting with
    "." are local even with a colon in them."""
    if arg.startswith("/") or arg.startswith("."):
        return None, arg
    container, colon, path = arg.partition(":")
    return (container, path) if colon else (None, arg)


def run(ctx: Context, argv: list[str]) -> int:
    p = Parser(
        ctx.verb,
        "[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n"
        f"\tportside {ctx.verb} [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH",
        "Copy files/folders between a container and the local filesystem",
    )
    p.add_argument(
        "-a", "--archive", action="store_true", help="Archive mode (copy all uid/gid information)"
    )
    p.add_argument(
        "-L", "--follow-link", action="store_true", help="Always follow symbol link in SRC_PATH"
    )
    p.add_argument(
        "-q", "--quiet", action="store_true", help="Suppress progress output during copy"
    )
    p.add_argument("paths", nargs="*")
    args = p.parse_args(argv)
    p.need(args.paths, 2, 2)
    (src_box, src), (dest_box, dest) = split_arg(args.paths[0]), split_arg(args.paths[1])
    if src_box is not None and dest_box is not None:
        raise InvalidArgument("copying between containers is not supported")
    if src_box is None and dest_box is None:
        raise InvalidArgument("must specify at least one container source")
    if src_box == "" or dest_box == "":
        raise InvalidArgument("must specify a container name or ID before ':'")
    files = ctx.engine.files
    if src_box is not None:
        if dest == "-":
            if sys.stdout.isatty():
                raise InvalidArgument("cowardly refusing to write a tar stream to a terminal")
            files.archive(src_box, src, sys.stdout.buffer, args.follow_link)
            sys.stdout.buffer.flush()
            return 0
        size = files.copy_out(src_box, src, dest, args.follow_link, args.archive)
    elif src == "-":
        size = files.extract_in(dest_box or "", sys.stdin.buffer, dest, args.archive)
    else:
        size = files.copy_in(dest_box or "", src, dest, args.follow_link, args.archive)
    if not args.quiet and ctx.stderr.isatty():
        ctx.stderr.write(f"Successfully copied {human_size(size)} to {args.paths[1]}\n")
    return 0
