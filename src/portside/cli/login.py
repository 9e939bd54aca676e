"""portside login / logout: registry credentials in Docker's config.json, so portside and
Docker share one login."""

from __future__ import annotations

import getpass
import sys

from ..errors import InvalidArgument
from .context import Context, Parser, add_tls_verify


def run(ctx: Context, argv: list[str]) -> int:
    from ..engine.credentials import logout

    if ctx.verb == "logout":
        p = Parser(ctx.verb, "[SERVER]", "Log out from a registry.")
        p.add_argument("server", nargs="?")
        args = p.parse_args(argv)
        report = logout(args.server)
        if not report.removed:
            ctx.stdout.write(f"Not logged in to {report.key}\n")
            return 0
        ctx.stdout.write(f"Removing login credentials for {report.key}\n")
        return 0
    p = Parser(ctx.verb, "[OPTIONS] [SERVER]", "Authenticate to a registry.")
    p.add_argument("-u", "--username", default=None, help="Username")
    p.add_argument("-p", "--password", default=None, help="Password")
    p.add_argument("--password-stdin", action="store_true", help="Take the password from stdin")
    add_tls_verify(p)
    p.add_argument("server", nargs="?")
    args = p.parse_args(argv)
    if args.password is not None and args.password_stdin:
        raise InvalidArgument("--password and --password-stdin are mutually exclusive")
    password = args.password
    if args.password_stdin:
        if not args.username:
            raise InvalidArgument("Must provide --username with --password-stdin")
        password = sys.stdin.read().rstrip("\r\n")
    user = args.username
    if user is None:
        if not sys.stdin.isatty():
            raise InvalidArgument("Cannot perform an interactive login from a non TTY device")
        user = input("Username: ").strip()
    if password is None:
        if not sys.stdin.isatty():
            raise InvalidArgument("Cannot perform an interactive login from a non TTY device")
        password = getpass.getpass("Password: ")
    if args.password is not None:
        ctx.stderr.write(
            "WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n"
        )
    ctx.engine.registry.login(args.server, user, password, args.tls_verify)
    ctx.stdout.write("Login Succeeded\n")
    return 0
