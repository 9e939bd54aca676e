"""portside run: create, start, and (unless -d) attach and return the container's code."""

from __future__ import annotations

from ..errors import ContainerStartError, PortsideError, RunRefused
from .context import Context, Parser
from .create_flags import add_flags, options_from


def engine_error(e: PortsideError) -> PortsideError:
    """run/create report every engine failure with exit 125, as Docker does; a command
    that could not be invoked keeps its 126/127."""
    return e if isinstance(e, ContainerStartError) else RunRefused(e)


def create(ctx: Context, args: object, detach: bool) -> str:
    """The container, its image pulled first as ``--pull`` says (progress on stderr:
    stdout is the container's)."""
    from ..engine.creating import create_container
    from ..progress import layer_progress

    opts = options_from(args, detach=detach)  # type: ignore[arg-type]
    policy = getattr(args, "pull", "missing")
    try:
        return create_container(ctx.engine, opts, policy, layer_progress(ctx.stderr)).id
    except PortsideError as e:
        raise engine_error(e) from None


def run(ctx: Context, argv: list[str]) -> int:
    p = Parser(
        ctx.verb,
        "[OPTIONS] IMAGE [COMMAND] [ARG...]",
        "Create and run a new container from an image",
        add_help=False,
    )
    add_flags(p)
    p.add_argument(
        "-d",
        "--detach",
        action="store_true",
        help="Run container in background and print container ID",
    )
    p.add_go_bool("--sig-proxy", True, "Proxy received signals to the process")
    p.add_argument(
        "--detach-keys",
        default="ctrl-p,ctrl-q",
        help="Override the key sequence for detaching a container",
    )
    args = p.parse_args(argv)
    container_id = create(ctx, args, args.detach)
    try:
        if args.detach:
            ctx.engine.lifecycle.start(container_id)
            ctx.stdout.write(container_id + "\n")
            return 0
        started = ctx.engine.lifecycle.start(container_id, attach=True)
    except PortsideError as e:
        if args.rm:
            ctx.engine.containers.purge(container_id, volumes=True)
        raise engine_error(e) from None
    assert started.attach is not None
    from .attaching import relay  # socket, signal, termios: not for run -d

    ctx.stdout.flush()
    outcome = relay(ctx, started.row, started.attach, sig_proxy=args.sig_proxy)
    if outcome == "detached":
        return 0
    return ctx.engine.lifecycle.wait(container_id)
