"""portside exec: run a command in a running container (attached by default)."""

from __future__ import annotations

import os
import subprocess
import tty as ttymod

from ..engine.execs import ExecOptions
from ..errors import ContainerStartError, InvalidArgument
from .context import Context, Parser
from .create_flags import env_flags


def run(ctx: Context, argv: list[str]) -> int:
    p = Parser(
        ctx.verb,
        "[OPTIONS] CONTAINER COMMAND [ARG...]",
        "Execute a command in a running container",
    )
    p.add_argument("-d", "--detach", action="store_true", help="Detached mode: run in background")
    p.add_argument("-e", "--env", action="append", default=[], help="Set environment variables")
    p.add_argument(
        "--env-file", action="append", default=[], help="Read in a file of environment variables"
    )
    p.add_argument("-i", "--interactive", action="store_true", help="Keep STDIN open")
    p.add_argument("-t", "--tty", action="store_true", help="Allocate a pseudo-TTY")
    p.add_argument(
        "-u", "--user", default=None, help="Username or UID (format: <name|uid>[:<group|gid>])"
    )
    p.add_argument("-w", "--workdir", default=None, help="Working directory inside the container")
    p.add_argument(
        "--privileged", action="store_true", help="Give extended privileges to the command"
    )
    p.add_argument(
        "--detach-keys",
        default="ctrl-p,ctrl-q",
        help="Accepted for Docker's sake; runc relays an exec's terminal without detach keys",
    )
    p.add_argument("container", nargs="?")
    p.add_argument("command", nargs="...")
    args = p.parse_args(argv)
    p.need([a for a in (args.container, *args.command) if a], 2)
    env = env_flags(args)
    opts = ExecOptions(
        command=list(args.command),
        env=tuple(env),
        user=args.user,
        workdir=args.workdir,
        tty=args.tty,
        detach=args.detach,
        privileged=args.privileged,
    )
    execs = ctx.engine.execs
    ctx.stdout.flush()
    if args.detach:
        process = execs.start(args.container, opts)
        return execs.finish(process)
    if args.tty and args.interactive and not os.isatty(0):
        raise InvalidArgument("the input device is not a TTY")
    if args.tty and not any(os.isatty(fd) for fd in (0, 1, 2)):
        return _through_own_pty(ctx, args.container, opts)
    stdin = None if args.interactive else subprocess.DEVNULL
    process = execs.start(args.container, opts, stdin=stdin)
    try:
        return execs.finish(process)
    except ContainerStartError as e:
        return e.exit_code  # runc printed why on the stderr it shares with the command


def _through_own_pty(ctx: Context, ref: str, opts: ExecOptions) -> int:
    """``exec -t`` with no terminal here (a script, CI): runc relays only between
    terminals, so it gets a raw pseudo-terminal of ours whose output goes to stdout."""
    master, slave = os.openpty()
    ttymod.setraw(slave)
    try:
        process = ctx.engine.execs.start(ref, opts, stdin=slave, stdout=slave)
    finally:
        os.close(slave)
    out = ctx.stdout.buffer
    try:
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: runc and the process closed the terminal
                data = b""
            if not data:
                break
            out.write(data)
            out.flush()
    finally:
        os.close(master)
    try:
        return ctx.engine.execs.finish(process)
    except ContainerStartError as e:
        return e.exit_code  # runc printed why on the stderr it shares with the command
