"""portside compose up | down"""

from __future__ import annotations

from collections.abc import Callable

from .compose import project
from .context import Context, Parser


def say_to(ctx: Context) -> Callable[[str, str, str], None]:
    """Docker Compose's progress lines (`` Container app-web-1  Started``) on stderr."""

    def say(kind: str, name: str, what: str) -> None:
        line = f"WARN[0000] {what}" if not kind else f" {kind} {name}  {what}"
        ctx.stderr.write(line + "\n")
        ctx.stderr.flush()

    return say


def run(ctx: Context, argv: list[str]) -> int:
    return _down(ctx, argv) if ctx.verb.endswith("down") else _up(ctx, argv)


def _up(ctx: Context, argv: list[str]) -> int:
    from ..compose.up import UpOptions, up
    from .compose_images import build_service, pull_service
    from .compose_logs import show

    p = Parser(ctx.verb, "[OPTIONS] [SERVICE...]", "Create and start containers")
    p.add_argument(
        "-d",
        "--detach",
        action="store_true",
        help="Detached mode: Run containers in the background",
    )
    p.add_argument("--build", action="store_true", help="Build images before starting containers")
    p.add_argument(
        "--force-recreate",
        action="store_true",
        help="Recreate containers even if their configuration and image haven't changed",
    )
    p.add_argument(
        "--no-recreate",
        action="store_true",
        help="If containers already exist, don't recreate them",
    )
    p.add_argument("--no-deps", action="store_true", help="Don't start linked services")
    p.add_argument(
        "--remove-orphans",
        action="store_true",
        help="Remove containers for services not defined in the Compose file",
    )
    p.add_argument(
        "--wait",
        action="store_true",
        help="Wait for services to be running|healthy. Implies detached mode.",
    )
    p.add_argument(
        "--wait-timeout",
        type=int,
        default=300,
        help="Maximum duration in seconds to wait for the project to be running|healthy",
    )
    p.add_argument("service", nargs="*")
    args = p.parse_args(argv)  # fmt: skip
    proj = project(ctx, args.service)
    options = UpOptions(
        services=tuple(args.service),
        build=args.build,
        force_recreate=args.force_recreate,
        no_recreate=args.no_recreate,
        no_deps=args.no_deps,
        remove_orphans=args.remove_orphans,
        wait=args.wait,
        timeout=float(args.wait_timeout),
    )
    rows = up(
        ctx.engine,
        proj,
        options,
        say_to(ctx),
        lambda name: build_service(ctx, proj, name),
        lambda name: pull_service(ctx, proj, name),
    )
    if args.detach or args.wait:
        return 0
    ctx.stdout.flush()
    try:
        show(ctx, rows, proj.name, follow=True, tail=None, exits=True)
    except KeyboardInterrupt:
        ctx.stderr.write("Gracefully stopping... (press Ctrl+C again to force)\n")
        for row in reversed(rows):
            ctx.engine.lifecycle.stop(row.id)
            ctx.stderr.write(f" Container {row.name}  Stopped\n")
        return 130
    return 0


def _down(ctx: Context, argv: list[str]) -> int:
    from ..compose.up import DownOptions, down

    p = Parser(ctx.verb, "[OPTIONS] [SERVICES]", "Stop and remove containers, networks")
    p.add_argument(
        "-v",
        "--volumes",
        action="store_true",
        help=(
            'Remove named volumes declared in the "volumes" section of the Compose file and '
            "anonymous volumes attached to containers"
        ),
    )
    p.add_argument(
        "--rmi",
        default="",
        help=(
            'Remove images used by services. "local" remove only images that don\'t have a '
            'custom tag ("local"|"all")'
        ),
    )
    p.add_argument(
        "--remove-orphans",
        action="store_true",
        help="Remove containers for services not defined in the Compose file",
    )
    p.add_argument(
        "-t", "--timeout", type=int, default=None, help="Specify a shutdown timeout in seconds"
    )
    args = p.parse_args(argv)  # fmt: skip
    proj = project(ctx)
    options = DownOptions(args.volumes, args.rmi, args.remove_orphans, args.timeout)
    down(ctx.engine, proj, options, say_to(ctx))
    return 0
