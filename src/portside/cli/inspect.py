"""portside inspect / image inspect: a JSON array, or --format per object."""

from __future__ import annotations

from ..errors import NotFound, PortsideError
from .context import Context, Parser
from .output import write_json
from .parser import SUPPRESS

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import Any


def run(ctx: Context, argv: list[str]) -> int:
    kind = {
        "image inspect": "image",
        "container inspect": "container",
        "network inspect": "network",
        "volume inspect": "volume",
    }.get(ctx.verb, "")
    if kind:
        usage = f"[OPTIONS] {kind.upper()} [{kind.upper()}...]"
        about = f"Display detailed information on one or more {kind}s"
    else:
        usage, about = (
            "[OPTIONS] NAME|ID [NAME|ID...]",
            "Return low-level information on portside objects",
        )
    p = Parser(ctx.verb, usage, about)
    p.add_argument("-f", "--format", default="", help="Format output using a custom template")
    # as in Docker, `image inspect` and the like take --type and --size without saying so
    shown = "" if kind else "Return JSON for specified type"
    p.add_argument("--type", default=kind, help=shown or SUPPRESS)
    shown = "" if kind not in ("", "container") else "Display total file sizes"
    shown += " if the type is container" if shown and not kind else ""
    p.add_argument("-s", "--size", action="store_true", help=shown or SUPPRESS)
    p.add_argument("names", nargs="*")
    args = p.parse_args(argv)
    p.need(args.names, 1)
    if args.type not in ("", "image", "container", "network", "volume"):
        ctx.error(f'"{args.type}" is not a valid value for --type')
        return 1
    template = None
    if args.format:
        from .gotemplate import Template  # re and its compiling: only for a template

        template = Template(args.format.replace("\\t", "\t").replace("\\n", "\n"))
    found: list[Any] = []
    status = 0
    for name in args.names:
        try:
            found.append(_inspect_one(ctx, name, args.type))
        except NotFound as e:
            ctx.error(f"No such object: {name}" if args.type == "" else str(e))
            status = 1
        except PortsideError as e:
            ctx.error(str(e))
            status = 1
    if template is not None:
        for item in found:
            ctx.stdout.write(template.render(item) + "\n")
    else:
        write_json(found, ctx.stdout)
    return status


def _inspect_one(ctx: Context, name: str, kind: str) -> Any:
    """Containers first, then images, then networks, as Docker looks objects up (a
    volume only with --type volume or ``volume inspect``)."""
    if kind == "network":
        return _network(ctx, name)
    if kind == "volume":
        return ctx.engine.volumes.inspect(ctx.engine.volumes.get(name))
    if kind in ("", "container"):
        try:
            return ctx.engine.containers.inspect(name)
        except NotFound:
            if kind == "container":
                raise
    try:
        return ctx.engine.images.inspect(name)
    except NotFound:
        if kind == "image":
            raise
    return _network(ctx, name)


def _network(ctx: Context, name: str) -> Any:
    network = ctx.engine.networks.get(name)
    names = {r.id: r.name for r in ctx.engine.containers.list(all=True)}
    return ctx.engine.networks.inspect(network, names)
