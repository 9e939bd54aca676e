"""portside system prune: stopped containers, unused networks, dangling (``-a``: all
unused) images and build cache, and with ``--volumes`` unused anonymous volumes."""

from __future__ import annotations

from ..units import human_size
from .context import Context, Parser
from .image_prune import write_deleted_images
from .prompt import confirm


def run(ctx: Context, argv: list[str]) -> int:
    p = Parser(ctx.verb, "[OPTIONS]", "Remove unused data")
    p.add_argument(
        "-a", "--all", action="store_true", help="Remove all unused images not just dangling ones"
    )
    p.add_argument("--volumes", action="store_true", help="Prune anonymous volumes")
    p.add_argument("-f", "--force", action="store_true", help="Do not prompt for confirmation")
    args = p.parse_args(argv)
    what = [
        "all stopped containers",
        "all networks not used by at least one container",
        *(["all anonymous volumes not used by at least one container"] if args.volumes else []),
        "all images without at least one container associated to them"
        if args.all
        else "all dangling images",
        "all build cache" if args.all else "all dangling build cache",
    ]
    warning = "WARNING! This will remove:\n" + "".join(f"  - {w}\n" for w in what)
    if not args.force and not confirm(ctx, warning):
        return 0
    engine = ctx.engine
    containers, freed = engine.containers.prune()
    if containers:
        ctx.stdout.write("Deleted Containers:\n" + "".join(f"{c}\n" for c in containers) + "\n")
    networks = engine.networks.prune()
    if networks:
        ctx.stdout.write("Deleted Networks:\n" + "".join(f"{n}\n" for n in networks) + "\n")
    if args.volumes:
        volumes, volume_bytes = engine.volumes.prune()
        freed += volume_bytes
        if volumes:
            ctx.stdout.write("Deleted Volumes:\n" + "".join(f"{v}\n" for v in volumes) + "\n")
    report = engine.images.prune(all=args.all)
    write_deleted_images(ctx, report)
    _, cache_bytes = engine.builds.prune(all=args.all)
    freed += report.reclaimed + cache_bytes
    ctx.stdout.write(f"Total reclaimed space: {human_size(freed)}\n")
    return 0
