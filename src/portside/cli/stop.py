"""portside stop / restart / kill / pause / unpause / wait / rm: several targets each."""

from __future__ import annotations

from .context import Context, Parser
from .targets import for_each


def run(ctx: Context, argv: list[str]) -> int:
    verb = ctx.verb.split()[-1]
    usage = "[OPTIONS] CONTAINER [CONTAINER...]"
    if verb in ("stop", "restart"):
        p = Parser(
            ctx.verb,
            usage,
            "Stop one or more running containers"
            if verb == "stop"
            else "Restart one or more containers",
        )
        p.add_argument(
            "-t",
            "--timeout",
            "--time",
            dest="time",
            type=int,
            default=None,
            help="Seconds to wait before killing the container",
        )
        p.add_argument("-s", "--signal", default=None, help="Signal to send to the container")
        p.add_argument("containers", nargs="*")
        args = p.parse_args(argv)
        p.need(args.containers, 1)
        if verb == "stop":
            return for_each(
                ctx,
                args.containers,
                lambda ref: (ctx.engine.lifecycle.stop(ref, args.time), None)[1],
            )
        return for_each(
            ctx,
            args.containers,
            lambda ref: (ctx.engine.lifecycle.restart(ref, args.time), None)[1],
        )
    if verb == "kill":
        p = Parser(ctx.verb, usage, "Kill one or more running containers")
        p.add_argument("-s", "--signal", default="KILL", help="Signal to send to the container")
        p.add_argument("containers", nargs="*")
        args = p.parse_args(argv)
        p.need(args.containers, 1)
        return for_each(
            ctx, args.containers, lambda ref: (ctx.engine.lifecycle.kill(ref, args.signal), None)[1]
        )
    if verb in ("pause", "unpause"):
        p = Parser(
            ctx.verb,
            "CONTAINER [CONTAINER...]",
            f"{verb.title()} all processes within one or more containers",
        )
        p.add_argument("containers", nargs="*")
        args = p.parse_args(argv)
        p.need(args.containers, 1)
        action = ctx.engine.lifecycle.pause if verb == "pause" else ctx.engine.lifecycle.unpause
        return for_each(ctx, args.containers, lambda ref: (action(ref), None)[1])
    if verb == "wait":
        p = Parser(
            ctx.verb,
            "CONTAINER [CONTAINER...]",
            "Block until one or more containers stop, then print their exit codes",
        )
        p.add_argument("containers", nargs="*")
        args = p.parse_args(argv)
        p.need(args.containers, 1)
        return for_each(ctx, args.containers, lambda ref: str(ctx.engine.lifecycle.wait(ref)))
    # rm
    p = Parser(ctx.verb, usage, "Remove one or more containers")
    p.add_argument(
        "-f",
        "--force",
        action="store_true",
        help="Force the removal of a running container (uses SIGKILL)",
    )
    p.add_argument(
        "-v",
        "--volumes",
        action="store_true",
        help="Remove anonymous volumes associated with the container",
    )
    p.add_argument("-l", "--link", action="store_true", help="Remove the specified link")
    p.add_argument("containers", nargs="*")
    args = p.parse_args(argv)
    p.need(args.containers, 1)
    return for_each(
        ctx,
        args.containers,
        lambda ref: (ctx.engine.containers.remove(ref, args.force, args.volumes), None)[1],
    )
