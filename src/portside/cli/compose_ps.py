"""portside compose ps | images | port | top: the project's containers as Docker
Compose lists them."""

from __future__ import annotations

from ..errors import InvalidArgument, NotFound
from .compose import project
from .context import Context, Parser
from .output import write_formatted

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import Any

_ABOUT = {
    "ps": "List containers",
    "images": "List images used by the created containers",
    "port": "Print the public port for a port binding",
    "top": "Display the running processes",
}


def run(ctx: Context, argv: list[str]) -> int:
    verb = ctx.verb.split()[-1]
    usage = "[OPTIONS] SERVICE PRIVATE_PORT" if verb == "port" else "[OPTIONS] [SERVICE...]"
    p = Parser(ctx.verb, usage, _ABOUT[verb])
    if verb == "ps":
        p.add_argument(
            "-a",
            "--all",
            action="store_true",
            help="Show all stopped containers (including those created by the run command)",
        )
        p.add_argument("-q", "--quiet", action="store_true", help="Only display IDs")
        p.add_argument("--services", action="store_true", help="Display services")
        p.add_argument("--format", default="", help="Format the output")
    if verb == "images":
        p.add_argument("-q", "--quiet", action="store_true", help="Only display IDs")
    if verb == "port":
        p.add_argument(
            "--index",
            type=int,
            default=1,
            help="Index of the container if service has multiple replicas",
        )
        p.add_argument("--protocol", default="tcp", help="tcp or udp")
    p.add_argument("service", nargs="*")
    args = p.parse_args(argv)  # fmt: skip
    if verb == "port":
        p.need(args.service, 2, 2)
        return _port(ctx, args.service[0], args.service[1], args.index, args.protocol)
    proj = project(ctx)
    from ..compose.project_state import containers

    rows = containers(ctx.engine, proj.name, args.service, oneoff=verb == "ps" and args.all)
    if verb == "ps":
        if not args.all:
            rows = [r for r in rows if r.status in ("running", "restarting", "paused")]
        return _ps(ctx, rows, args)
    if verb == "images":
        return _images(ctx, rows, args.quiet)
    for row in rows:  # top
        if row.status != "running":
            continue
        titles, processes = ctx.engine.lifecycle.top(row.id, [])
        ctx.stdout.write(f"{row.name}\n")
        write_formatted("table " + "\t".join(f"{{{{.C{i}}}}}" for i in range(len(titles))),
                        [{f"C{i}": v for i, v in enumerate(p)} for p in processes],
                        {f"C{i}": t for i, t in enumerate(titles)}, ctx.stdout)  # fmt: skip
        ctx.stdout.write("\n")
    return 0


def _ps(ctx: Context, rows: list[Any], args: Any) -> int:
    from ..compose.project_state import service_of
    from .ps import row_of

    if args.quiet:
        ctx.stdout.write("".join(r.id + "\n" for r in rows))
        return 0
    if args.services:
        ctx.stdout.write("".join(f"{s}\n" for s in dict.fromkeys(service_of(r) for r in rows)))
        return 0
    ports = ctx.engine.containers.ports()
    data = []
    for r in rows:
        entry = row_of(r, {}, True, "", ports.get(r.id))
        entry["Name"] = r.name
        entry["Service"] = service_of(r)
        entry["Project"] = (r.config.get("Labels") or {}).get("com.docker.compose.project", "")
        entry["ExitCode"] = r.exit_code
        entry["Command"] = _short(entry["Command"])
        data.append(entry)
    fmt = args.format or (
        "table {{.Name}}\t{{.Image}}\t{{.Command}}\t{{.Service}}\t{{.RunningFor}}"
        "\t{{.Status}}\t{{.Ports}}"
    )
    if fmt == "json":
        import json

        ctx.stdout.write("".join(json.dumps(d) + "\n" for d in data))
        return 0
    headers = {
        "Name": "NAME",
        "Image": "IMAGE",
        "Command": "COMMAND",
        "Service": "SERVICE",
        "RunningFor": "CREATED",
        "Status": "STATUS",
        "Ports": "PORTS",
        "ID": "CONTAINER ID",
        "State": "STATE",
    }
    write_formatted(fmt, data, headers, ctx.stdout)
    return 0


def _short(command: str) -> str:
    inner = command.strip('"')
    return f'"{inner[:19]}…"' if len(inner) > 20 else command


def _images(ctx: Context, rows: list[Any], quiet: bool) -> int:
    from ..units import human_size

    data = []
    for r in rows:
        image = ctx.engine.images.row(r.image_id)
        ref = r.image_ref or r.image_id
        repo, _, tag = ref.rpartition(":") if ":" in ref.rpartition("/")[2] else (ref, "", "")
        data.append({
            "Container": r.name,
            "Repository": repo,
            "Tag": tag or "latest",
            "ID": r.image_id.removeprefix("sha256:")[:12],
            "Size": human_size(image.size),
        })  # fmt: skip
    if quiet:
        ctx.stdout.write("".join(f"{i}\n" for i in dict.fromkeys(d["ID"] for d in data)))
        return 0
    headers = {
        "Container": "CONTAINER",
        "Repository": "REPOSITORY",
        "Tag": "TAG",
        "ID": "IMAGE ID",
        "Size": "SIZE",
    }
    fmt = "table {{.Container}}\t{{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.Size}}"
    write_formatted(fmt, data, headers, ctx.stdout)
    return 0


def _port(ctx: Context, service: str, private: str, index: int, protocol: str) -> int:
    from ..compose.project_state import containers, number_of

    proj = project(ctx, [service])
    rows = [r for r in containers(ctx.engine, proj.name, [service]) if number_of(r) == index]
    if not rows:
        raise InvalidArgument(f'service "{service}" is not running container #{index}')
    key = private if "/" in private else f"{private}/{protocol}"
    binds = (ctx.engine.containers.ports().get(rows[0].id) or {}).get(key)
    if not binds:
        raise NotFound(f"no port {key} for container {rows[0].name}")
    ctx.stdout.write(f"{binds[0]['HostIp'] or '0.0.0.0'}:{binds[0]['HostPort']}\n")
    return 0
