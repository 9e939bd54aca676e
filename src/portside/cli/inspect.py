"""portside inspect / image inspect: a JSON array, or --format per object."""

from __future__ import annotations

from typing import Any

from ..errors import PortsideError
from .context import Context, Parser
from .gotemplate import Template
from .output import write_json


def run(ctx: Context, argv: list[str]) -> int:
    kind = "image" if ctx.verb == "image inspect" else ""
    what = "image" if kind == "image" else "object"
    p = Parser(
        ctx.verb,
        f"[OPTIONS] {what.upper()} [{what.upper()}...]",
        f"Display detailed information on one or more {what}s",
    )
    p.add_argument("-f", "--format", default="", help="Format output using a custom template")
    p.add_argument("--type", default=kind, help="Return JSON for specified type")
    p.add_argument(
        "-s",
        "--size",
        action="store_true",
        help="Display total file sizes if the type is container",
    )
    p.add_argument("names", nargs="*")
    args = p.parse_args(argv)
    p.need(args.names, 1)
    if args.type not in ("", "image"):
        ctx.error(f'"{args.type}" is not a valid value for --type')
        return 1
    template = (
        Template(args.format.replace("\\t", "\t").replace("\\n", "\n")) if args.format else None
    )
    found: list[Any] = []
    status = 0
    for name in args.names:
        try:
            found.append(ctx.engine.images.inspect(name))
        except PortsideError as e:
            if args.type == "" and type(e).__name__ == "ImageNotFound":
                ctx.error(f"No such object: {name}")
            else:
                ctx.error(str(e))
            status = 1
    if template is not None:
        for item in found:
            ctx.stdout.write(template.render(item) + "\n")
    else:
        write_json(found, ctx.stdout)
    return status
