"""portside volume create | ls | rm | prune (inspect is in inspect.py)."""

from __future__ import annotations

from ..units import human_size
from .context import Context, Parser
from .filters import parse_filters
from .output import write_formatted
from .parser import SUPPRESS
from .prompt import confirm
from .reports import write_reports

HEADERS = {"Driver": "DRIVER", "Name": "VOLUME NAME", "Mountpoint": "MOUNTPOINT"}


def run(ctx: Context, argv: list[str]) -> int:
    verb = ctx.verb.split()[-1]
    return {"create": _create, "ls": _ls, "rm": _rm, "prune": _prune}[verb](ctx, argv)


def _create(ctx: Context, argv: list[str]) -> int:
    p = Parser(ctx.verb, "[OPTIONS] [VOLUME]", "Create a volume")
    p.add_argument("-d", "--driver", default="local", help="Specify volume driver name")
    p.add_argument("--label", action="append", default=[], help="Set metadata for a volume")
    p.add_argument("--name", default="", help=SUPPRESS)  # Docker hides it too
    p.add_argument("names", nargs="*")
    args = p.parse_args(argv)
    p.need(args.names, 0, 1)
    name = args.names[0] if args.names else args.name
    labels = dict(label.partition("=")[::2] for label in args.label)
    volume = ctx.engine.volumes.create(name, args.driver, labels)
    ctx.stdout.write(volume.name + "\n")
    return 0


def _ls(ctx: Context, argv: list[str]) -> int:
    p = Parser(ctx.verb, "[OPTIONS]", "List volumes")
    p.add_argument("-q", "--quiet", action="store_true", help="Only display volume names")
    p.add_argument(
        "-f",
        "--filter",
        action="append",
        metavar="filter",
        default=[],
        help="Provide filter values",
    )
    p.add_argument("--format", default="", help="Pretty-print volumes using a Go template")
    args = p.parse_args(argv)
    service = ctx.engine.volumes
    rows = [
        {
            "Driver": v.driver,
            "Name": v.name,
            "Mountpoint": str(service.data(v.name)),
            "Scope": "local",
            "Labels": ",".join(f"{k}={x}" for k, x in v.labels.items()),
            "CreatedAt": v.created,
        }
        for v in service.list(parse_filters(args.filter))
    ]
    if args.quiet:
        ctx.stdout.writelines(r["Name"] + "\n" for r in rows)
        return 0
    write_formatted(args.format or "table {{.Driver}}\t{{.Name}}", rows, HEADERS, ctx.stdout)
    return 0


def _rm(ctx: Context, argv: list[str]) -> int:
    p = Parser(
        ctx.verb,
        "[OPTIONS] VOLUME [VOLUME...]",
        "Remove one or more volumes. You cannot remove a volume that is in use by a container.",
    )
    p.add_argument(
        "-f", "--force", action="store_true", help="Force the removal of one or more volumes"
    )
    p.add_argument("names", nargs="*")
    args = p.parse_args(argv)
    p.need(args.names, 1)
    return write_reports(ctx, ctx.engine.targets.remove_volumes(args.names, args.force))


def _prune(ctx: Context, argv: list[str]) -> int:
    p = Parser(ctx.verb, "[OPTIONS]", "Remove unused local volumes")
    p.add_argument(
        "-a",
        "--all",
        action="store_true",
        help="Remove all unused volumes, not just anonymous ones",
    )
    p.add_argument("-f", "--force", action="store_true", help="Do not prompt for confirmation")
    args = p.parse_args(argv)
    warning = (
        "WARNING! This will remove anonymous local volumes not used by at least one container."
    )
    if args.all:
        warning = "WARNING! This will remove all local volumes not used by at least one container."
    if not args.force and not confirm(ctx, warning):
        return 0
    removed, freed = ctx.engine.volumes.prune(args.all)
    if removed:
        ctx.stdout.write("Deleted Volumes:\n" + "".join(f"{n}\n" for n in removed) + "\n")
    ctx.stdout.write(f"Total reclaimed space: {human_size(freed)}\n")
    return 0
