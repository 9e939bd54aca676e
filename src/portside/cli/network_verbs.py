"""portside network create | connect | disconnect | ls | rm | prune (inspect is in
inspect.py)."""

from __future__ import annotations

from .context import Context, Parser
from .filters import parse_filters
from .output import go_time_text, write_formatted
from .prompt import confirm
from .reports import write_reports

HEADERS = {"ID": "NETWORK ID", "Name": "NAME", "Driver": "DRIVER", "Scope": "SCOPE"}


def run(ctx: Context, argv: list[str]) -> int:
    verb = ctx.verb.split()[-1]
    verbs = {
        "create": _create,
        "connect": _connect,
        "disconnect": _disconnect,
        "ls": _ls,
        "rm": _rm,
        "prune": _prune,
    }
    return verbs[verb](ctx, argv)


def _create(ctx: Context, argv: list[str]) -> int:
    p = Parser(ctx.verb, "[OPTIONS] NETWORK", "Create a network")
    p.add_argument("-d", "--driver", default="bridge", help="Driver to manage the Network")
    p.add_argument("--subnet", default="", metavar="strings", help="Subnet in CIDR format")
    p.add_argument(
        "--gateway", default="", metavar="strings", help="IPv4 Gateway for the master subnet"
    )
    p.add_argument("--internal", action="store_true", help="Restrict external access")
    p.add_argument("--label", action="append", default=[], help="Set metadata on a network")
    p.add_argument("name", nargs="*")
    args = p.parse_args(argv)
    p.need(args.name, 1, 1)
    labels = dict(label.partition("=")[::2] for label in args.label)
    network = ctx.engine.networks.create(
        args.name[0], args.driver, args.subnet, args.gateway, args.internal, labels
    )
    ctx.stdout.write(network.id + "\n")
    return 0


def _connect(ctx: Context, argv: list[str]) -> int:
    p = Parser(ctx.verb, "[OPTIONS] NETWORK CONTAINER", "Connect a container to a network")
    p.add_argument(
        "--alias",
        action="append",
        default=[],
        metavar="strings",
        help="Add network-scoped alias for the container",
    )
    p.add_argument("refs", nargs="*")
    args = p.parse_args(argv)
    p.need(args.refs, 2, 2)
    network, container = args.refs
    ctx.engine.containers.connect(network, container, args.alias)
    return 0


def _disconnect(ctx: Context, argv: list[str]) -> int:
    p = Parser(ctx.verb, "[OPTIONS] NETWORK CONTAINER", "Disconnect a container from a network")
    p.add_argument(
        "-f",
        "--force",
        action="store_true",
        help="Force the container to disconnect from a network",
    )
    p.add_argument("refs", nargs="*")
    args = p.parse_args(argv)
    p.need(args.refs, 2, 2)
    network, container = args.refs
    ctx.engine.containers.disconnect(network, container)
    return 0


def _ls(ctx: Context, argv: list[str]) -> int:
    p = Parser(ctx.verb, "[OPTIONS]", "List networks")
    p.add_argument(
        "-f",
        "--filter",
        action="append",
        metavar="filter",
        default=[],
        help="Provide filter values (e.g. 'driver=bridge')",
    )
    p.add_argument("--format", default="", help="Pretty-print networks using a Go template")
    p.add_argument("--no-trunc", action="store_true", help="Do not truncate the output")
    p.add_argument("-q", "--quiet", action="store_true", help="Only display network IDs")
    args = p.parse_args(argv)
    rows = [
        {  # Docker's fields, in the order its {{json .}} writes them
            "CreatedAt": go_time_text(n.created),
            "Driver": n.driver,
            "ID": n.id if args.no_trunc else n.id[:12],
            "IPv6": "false",
            "Internal": str(n.internal).lower(),
            "Labels": ",".join(f"{k}={v}" for k, v in (n.labels or {}).items()),
            "Name": n.name,
            "Scope": "local",
        }
        for n in ctx.engine.networks.list(parse_filters(args.filter))
    ]
    if args.quiet:
        ctx.stdout.writelines(r["ID"] + "\n" for r in rows)
        return 0
    fmt = args.format or "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}"
    write_formatted(fmt, rows, HEADERS, ctx.stdout)
    return 0


def _rm(ctx: Context, argv: list[str]) -> int:
    p = Parser(ctx.verb, "NETWORK [NETWORK...]", "Remove one or more networks")
    p.add_argument("names", nargs="*")
    args = p.parse_args(argv)
    p.need(args.names, 1)
    return write_reports(ctx, ctx.engine.targets.remove_networks(args.names))


def _prune(ctx: Context, argv: list[str]) -> int:
    p = Parser(ctx.verb, "[OPTIONS]", "Remove all unused networks")
    p.add_argument("-f", "--force", action="store_true", help="Do not prompt for confirmation")
    args = p.parse_args(argv)
    warning = "WARNING! This will remove all custom networks not used by at least one container."
    if not args.force and not confirm(ctx, warning):
        return 0
    removed = ctx.engine.networks.prune()
    if removed:
        ctx.stdout.write("Deleted Networks:\n" + "".join(f"{n}\n" for n in removed))
    return 0
