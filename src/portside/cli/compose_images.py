"""portside compose build | pull | push: the services' images, through the engine's
build service and registry client (``up`` builds and pulls through here too)."""

from __future__ import annotations

from pathlib import Path

from ..progress import layer_progress
from .compose import project
from .context import Context, Parser
from .output import line_writer

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from ..compose.model import Project


def build_service(ctx: Context, proj: Project, name: str, no_cache: bool = False) -> str:
    """Build service ``name``'s image, tagged with the name it runs by; its ID."""
    from ..compose.options import image_of
    from ..engine.builds import BuildOptions, parse_cache_from, parse_cache_to

    build = proj.services[name]["build"]
    context = Path(build["context"])
    dockerfile = context / build["dockerfile"] if "dockerfile" in build else None
    opts = BuildOptions(
        context=context,
        dockerfile=dockerfile,
        tags=(image_of(proj, name),),
        build_args=dict(build.get("args") or {}),
        target=build.get("target"),
        no_cache=no_cache,
        cache_from=tuple(parse_cache_from(v) for v in build.get("cache_from") or ()),
        cache_to=tuple(parse_cache_to(v) for v in build.get("cache_to") or ()),
    )
    ctx.stderr.write(f" Service {name}  Building\n")
    image_id = ctx.engine.builds.build(opts, line_writer(ctx.stderr))
    ctx.stderr.write(f" Service {name}  Built\n")
    return image_id


def pull_service(ctx: Context, proj: Project, name: str, quiet: bool = False) -> None:
    from ..compose.options import image_of

    image = image_of(proj, name)
    ctx.stderr.write(f" {name} Pulling\n")
    ctx.engine.registry.pull(image, layer_progress(ctx.stderr, quiet))
    ctx.stderr.write(f" {name} Pulled\n")


def run(ctx: Context, argv: list[str]) -> int:
    verb = ctx.verb.split()[-1]
    about = {
        "build": "Build or rebuild services",
        "pull": "Pull service images",
        "push": "Push service images",
    }[verb]
    p = Parser(ctx.verb, "[OPTIONS] [SERVICE...]", about)
    if verb == "build":
        p.add_argument("--no-cache", action="store_true", help="Do not use cache when building")
    p.add_argument("-q", "--quiet", action="store_true", help="Don't print anything to STDOUT")
    if verb != "build":
        p.add_argument(
            "--ignore-buildable", action="store_true", help="Ignore images that can be built"
        )
    p.add_argument("service", nargs="*")
    args = p.parse_args(argv)
    proj = project(ctx, args.service)
    names = args.service or list(proj.enabled)
    for name in names:
        svc = proj.services[name]
        if verb == "build":
            if "build" in svc:
                build_service(ctx, proj, name, args.no_cache)
        elif verb == "pull":
            if "image" in svc and not ("build" in svc and args.ignore_buildable):
                pull_service(ctx, proj, name, args.quiet)
        elif "build" in svc and not args.ignore_buildable or "image" in svc:
            from ..compose.options import image_of

            image = image_of(proj, name)
            ctx.stderr.write(f" {name} Pushing\n")
            ctx.engine.registry.push(image, layer_progress(ctx.stderr, args.quiet))
            ctx.stderr.write(f" {name} Pushed\n")
    return 0
