"""portside build: an image from a Dockerfile and a context folder (or a tar on stdin)."""

from __future__ import annotations

import os
import sys
from contextlib import ExitStack
from pathlib import Path

from ..errors import InvalidArgument
from .context import Context, Parser
from .output import line_writer


def _build_args(values: list[str]) -> dict[str, str | None]:
    """--build-arg K=V, or K alone for the caller's environment value (absent: unset)."""
    out: dict[str, str | None] = {}
    for value in values:
        key, eq, rest = value.partition("=")
        out[key] = rest if eq else os.environ.get(key)
    return out


def _labels(values: list[str]) -> dict[str, str]:
    return {k: v for k, _, v in (value.partition("=") for value in values)}


def run(ctx: Context, argv: list[str]) -> int:
    p = Parser(ctx.verb, "[OPTIONS] PATH | -", "Build an image from a Dockerfile")
    p.add_argument("-t", "--tag", action="append", default=[], help="Name and optionally a tag")
    p.add_argument(
        "-f", "--file", default=None, help="Name of the Dockerfile (default PATH/Dockerfile)"
    )
    p.add_argument("--build-arg", action="append", default=[], help="Set build-time variables")
    p.add_argument("--target", default=None, help="Set the target build stage to build")
    p.add_argument("--no-cache", action="store_true", help="Do not use cache when building")
    p.add_argument("--pull", action="store_true", help="Always attempt to pull a newer version")
    p.add_argument("--label", action="append", default=[], help="Set metadata for an image")
    p.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="Suppress the build output and print image ID on success",
    )
    p.add_argument("--iidfile", default=None, help="Write the image ID to the file")
    p.add_argument("--progress", default="auto", help="Type of progress output (auto, plain, tty)")
    p.add_argument("--network", default="default", help="Networking mode for the RUN instructions")
    p.add_argument("path", nargs="*")
    args = p.parse_args(argv)
    p.need(args.path, 1, 1)
    if args.progress not in ("auto", "plain", "tty"):
        raise InvalidArgument(f"invalid progress mode {args.progress!r}: auto, plain or tty")
    from ..engine.builds import NETWORK_MODES, BuildOptions

    if args.network not in NETWORK_MODES:
        raise InvalidArgument(f'network mode "{args.network}" not supported: default, none or host')

    with ExitStack() as stack:
        dockerfile_text = None
        if args.file == "-":
            dockerfile_text = sys.stdin.buffer.read()
        if args.path[0] == "-":
            import tempfile  # only a context on stdin needs a folder

            tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="portside-context-"))
            context, dockerfile_text = _stdin_context(Path(tmp), dockerfile_text)
        else:
            context = Path(args.path[0])
        dockerfile = None
        if args.file and args.file != "-":
            dockerfile = Path(args.file)
            if not dockerfile.is_absolute() and not dockerfile.exists():
                dockerfile = context / args.file
        opts = BuildOptions(
            context=context,
            dockerfile=dockerfile,
            dockerfile_text=dockerfile_text,
            tags=tuple(args.tag),
            build_args=_build_args(args.build_arg),
            target=args.target,
            no_cache=args.no_cache,
            labels=_labels(args.label),
            network=args.network,
            pull=args.pull,
        )

        image_id = ctx.engine.builds.build(opts, line_writer(ctx.stdout, args.quiet))
    if args.quiet:
        ctx.stdout.write(image_id + "\n")
    if args.iidfile:
        Path(args.iidfile).write_text(image_id)
    return 0


def _stdin_context(tmp: Path, dockerfile_text: bytes | None) -> tuple[Path, bytes | None]:
    """``build -``: a tar of the context on stdin, or only a Dockerfile (no context). A
    tar is extracted as it streams in: a context of any size fits in the same memory."""
    from ..image.compression import decompressed, prefixed
    from ..image.layer import apply_tar, is_tar_header

    plain, _ = decompressed(sys.stdin.buffer)
    head = plain.read(512)
    if not is_tar_header(head):
        return tmp, head + plain.read() if dockerfile_text is None else dockerfile_text
    apply_tar(prefixed(head, plain), tmp, whiteouts=False)
    return tmp, dockerfile_text
