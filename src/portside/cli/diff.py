"""portside diff: the files a container added (A), changed (C) and deleted (D)."""

from __future__ import annotations

from .context import Context, Parser


def run(ctx: Context, argv: list[str]) -> int:
    p = Parser(
        ctx.verb, "CONTAINER", "Inspect changes to files or directories on a container's filesystem"
    )
    p.add_argument("container", nargs="*")
    args = p.parse_args(argv)
    p.need(args.container, 1, 1)
    for kind, path in ctx.engine.files.changes(args.container[0]):
        ctx.stdout.write(f"{kind} {path}\n")
    return 0
