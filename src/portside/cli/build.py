"""portside build: an image from a Dockerfile and a context folder (or a tar on stdin)."""

from __future__ import annotations

import os
import sys

from ..errors import InvalidArgument, PortsideError
from ..records import replace
from .context import Context, Parser
from .output import line_writer, write_archive_output

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from ..engine.builds import Platform, SecretSource


def _build_args(values: list[str]) -> dict[str, str | None]:
    """--build-arg K=V, or K alone for the caller's environment value (absent: unset);
    SOURCE_DATE_EPOCH from the environment unless given, as buildx passes it."""
    out: dict[str, str | None] = {}
    for value in values:
        key, eq, rest = value.partition("=")
        out[key] = rest if eq else os.environ.get(key)
    if "SOURCE_DATE_EPOCH" not in out and os.environ.get("SOURCE_DATE_EPOCH"):
        out["SOURCE_DATE_EPOCH"] = os.environ["SOURCE_DATE_EPOCH"]
    return out


def _platform(value: str) -> Platform | None:
    """--platform A[,B…]: one platform (this builder makes one image); a list naming
    another than the machine's is refused by the engine for that one."""
    from ..engine.builds import native, parse_platform

    wanted = list(dict.fromkeys(parse_platform(v) for v in value.split(",") if v.strip()))
    if not wanted:
        return None
    return next((p for p in wanted if p != native()), wanted[0])


def _secret(value: str) -> SecretSource:
    """--secret id=ID[,src=FILE|,env=VAR][,type=file|env], as buildx reads it; with
    neither src nor env, the variable ID if it is set, else the file ID."""
    from ..engine.builds import SecretSource
    from .build_flags import csv_fields

    got: dict[str, str] = {}
    kind = ""
    for key, rest in csv_fields(value, "secret").items():
        if key == "type":
            if rest not in ("file", "env"):
                raise InvalidArgument(f'unsupported secret type "{rest}"')
            kind = rest
        elif key in ("id", "src", "source", "env"):
            got["src" if key == "source" else key] = rest
        else:
            raise InvalidArgument(f"unexpected key '{key}' in '{key}={rest}'")
    if kind == "env" and not got.get("env"):
        got["env"], got["src"] = got.get("src", ""), ""
    secret_id = got.get("id", "")
    if not secret_id:
        raise InvalidArgument(f"secret missing ID: {value}")
    path, env = got.get("src", ""), got.get("env", "")
    if not path and not env:
        if secret_id in os.environ:
            env = secret_id
        else:
            path = secret_id
    return SecretSource(secret_id, path, env)


def _labels(values: list[str]) -> dict[str, str]:
    return {k: v for k, _, v in (value.partition("=") for value in values)}


def run(ctx: Context, argv: list[str]) -> int:
    p = Parser(ctx.verb, "[OPTIONS] PATH | -", "Build an image from a Dockerfile")
    p.add_argument("-t", "--tag", action="append", default=[], help="Name and optionally a tag")
    p.add_argument(
        "-f", "--file", default=None, help="Name of the Dockerfile (default PATH/Dockerfile)"
    )
    p.add_argument("--build-arg", action="append", default=[], help="Set build-time variables")
    p.add_argument("--target", default=None, help="Set the target build stage to build")
    p.add_argument("--no-cache", action="store_true", help="Do not use cache when building")
    p.add_argument("--pull", action="store_true", help="Always attempt to pull a newer version")
    p.add_argument("--label", action="append", default=[], help="Set metadata for an image")
    p.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="Suppress the build output and print image ID on success",
    )
    p.add_argument("--iidfile", default=None, help="Write the image ID to the file")
    p.add_argument(
        "-o",
        "--output",
        action="append",
        default=[],
        help='Output destination (format: "type=local,dest=path")',
    )
    p.add_argument(
        "--progress",
        default="auto",
        help="Type of progress output (auto, plain, tty, rawjson)",
    )
    p.add_argument("--network", default="default", help="Networking mode for the RUN instructions")
    p.add_argument(
        "--add-host",
        action="append",
        default=[],
        help='Add a custom host-to-IP mapping (format: "host:ip")',
    )
    p.add_argument(
        "--no-cache-filter",
        action="append",
        default=[],
        help="Do not cache specified stages",
    )
    p.add_argument(
        "--platform",
        default=os.environ.get("DOCKER_DEFAULT_PLATFORM", ""),
        help="Set target platform for build (this machine's)",
    )
    p.add_argument(
        "--secret",
        action="append",
        default=[],
        help='Secret to expose to the build (format: "id=mysecret[,src=/local/secret]")',
    )
    p.add_argument(
        "--ssh",
        action="append",
        default=[],
        help="SSH agent socket or keys to expose to the build "
        '(format: "default|<id>[=<socket>|<key>[,<key>]]")',
    )
    p.add_argument(
        "--allow",
        action="append",
        default=[],
        help='Allow extra privileged entitlement (e.g., "security.insecure")',
    )
    p.add_argument(
        "--build-context",
        action="append",
        default=[],
        help="Additional build contexts (e.g., name=path)",
    )
    p.add_argument("--cache-to", action="append", default=[], help="Cache export destinations")
    p.add_argument("--cache-from", action="append", default=[], help="External cache sources")
    p.add_argument("path", nargs="*")
    args = p.parse_args(argv)
    p.need(args.path, 1, 1)
    from ..engine.builds import (
        ENTITLEMENTS,
        NETWORK_MODES,
        BuildOptions,
        BuildOutput,
        parse_cache_from,
        parse_cache_to,
        parse_named_context,
    )
    from . import build_flags
    from .build_progress import check_mode, progress

    mode = check_mode(args.progress)
    kind, dest, names = build_flags.output(args.output)

    allow = frozenset(e.strip() for value in args.allow for e in value.split(",") if e.strip())
    for entitlement in sorted(allow):
        if entitlement not in ENTITLEMENTS:
            raise InvalidArgument(
                f'invalid entitlement "{entitlement}": security.insecure or network.host'
            )
    secrets = tuple(_secret(value) for value in args.secret)
    cache_to = tuple(parse_cache_to(value) for value in args.cache_to)
    cache_from = tuple(parse_cache_from(value) for value in args.cache_from)

    if args.network not in NETWORK_MODES:
        raise InvalidArgument(f'network mode "{args.network}" not supported: default, none or host')

    dockerfile_text = sys.stdin.buffer.read() if args.file == "-" else None
    # build -: the context's tar streams in from stdin (extracted as it comes)
    context_archive = sys.stdin.buffer if args.path[0] == "-" else None
    dockerfile = None
    if args.file and args.file != "-":
        dockerfile = args.file  # one relative to here, else to the context
        if not os.path.isabs(dockerfile) and os.path.exists(dockerfile):
            dockerfile = os.path.abspath(dockerfile)
    opts = BuildOptions(
        context=None if context_archive is not None else args.path[0],
        context_archive=context_archive,
        dockerfile=dockerfile,
        dockerfile_text=dockerfile_text,
        tags=(*args.tag, *names),
        build_args=_build_args(args.build_arg),
        target=args.target,
        no_cache=args.no_cache,
        labels=_labels(args.label),
        network=args.network,
        pull=args.pull,
        secrets=secrets,
        allow=allow,
        cache_to=cache_to,
        cache_from=cache_from,
        contexts=dict(parse_named_context(v) for v in args.build_context),
        platform=_platform(args.platform),
        output=BuildOutput(kind, os.path.abspath(dest) if kind == "local" else None),
        add_hosts=tuple(args.add_host),
        no_cache_filter=tuple(n for v in args.no_cache_filter for n in v.split(",") if n),
        ssh=build_flags.ssh(args.ssh),
    )
    # a tar on stdout: the progress goes to stderr, as buildx's always does
    shown = ctx.stderr if dest == "-" else ctx.stdout
    view = progress("plain" if args.quiet else mode, shown, line_writer(shown, args.quiet))
    try:
        if kind in ("tar", "oci", "docker"):  # written beside the file and renamed
            built: list[str] = []
            write_archive_output(
                "" if dest == "-" else dest,
                lambda stream: built.append(
                    ctx.engine.builds.build(
                        replace(opts, output=BuildOutput(kind, stream=stream)), view.line
                    )
                ),
            )
            image_id = built[0]
        else:
            image_id = ctx.engine.builds.build(opts, view.line)
    except PortsideError as e:
        view.fail(str(e))
        raise
    view.close()
    if args.quiet and image_id:
        ctx.stdout.write(image_id + "\n")
    if args.iidfile and image_id:
        with open(args.iidfile, "w") as f:
            f.write(image_id)
    return 0
