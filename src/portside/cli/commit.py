"""portside commit: a new image from a container's changes."""

from __future__ import annotations

from .context import Context, Parser


def run(ctx: Context, argv: list[str]) -> int:
    p = Parser(
        ctx.verb,
        "[OPTIONS] CONTAINER [REPOSITORY[:TAG]]",
        "Create a new image from a container's changes",
    )
    p.add_argument(
        "-a",
        "--author",
        default="",
        help='Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")',
    )
    p.add_image_flags("Commit message")
    p.add_go_bool("-p", True, "Pause container during commit", long="--pause")
    p.add_argument("container", nargs="?")
    p.add_argument("reference", nargs="?")
    args = p.parse_args(argv)
    p.need([a for a in (args.container, args.reference) if a], 1, 2)
    engine = ctx.engine
    image_id = engine.files.commit(
        engine.image_io,
        args.container,
        args.reference,
        args.change,
        args.message,
        args.author,
        pause=args.pause,
    )
    ctx.stdout.write(image_id + "\n")
    return 0
