"""Entry point: global options, then one module per verb (see ``verbs``), imported
only when used.

``portside --version`` imports nothing but this module and ``version``.
"""

from __future__ import annotations

import os
import sys


def _split_globals(argv: list[str]) -> tuple[dict[str, str], list[str]]:
    """Take the global options that come before the verb."""
    opts: dict[str, str] = {}
    i = 0
    while i < len(argv):
        arg = argv[i]
        if not arg.startswith("-") or arg == "-":
            break
        name, eq, value = arg.partition("=")
        if name in ("--root", "--runroot", "--runtime", "--log-level", "--config"):
            if not eq:
                if i + 1 >= len(argv):
                    _usage_error(f"flag needs an argument: {name}")
                value = argv[i + 1]
                i += 1
            opts[name[2:]] = value
        elif name in ("-v", "--version", "-h", "--help", "-D", "--debug"):
            opts[name.lstrip("-")] = "1"
        else:
            _usage_error(f"unknown flag: {name}")
        i += 1
    return opts, argv[i:]


def _usage_error(message: str) -> None:
    sys.stderr.write(f"{message}\nSee 'portside --help'.\n")
    raise SystemExit(125)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    opts, rest = _split_globals(args)
    if "v" in opts or "version" in opts:
        from ..version import __version__

        sys.stdout.write(f"portside version {__version__}\n")
        return 0
    from .verbs import GROUP, TOP, usage

    if not rest or "h" in opts or "help" in opts:
        sys.stdout.write(usage())
        return 0
    verb = rest[0]
    if verb not in GROUP and verb not in TOP:
        sys.stderr.write(f"portside: '{verb}' is not a portside command.\nSee 'portside --help'\n")
        return 1
    from ..errors import PortsideError
    from .context import Context, run_words

    try:
        ctx = Context(
            root=opts.get("root"),
            runroot=opts.get("runroot"),
            runtime=opts.get("runtime"),
            debug="D" in opts or "debug" in opts or opts.get("log-level") == "debug",
            config=opts.get("config"),
        )
    except PortsideError as e:  # a configuration file that cannot be used: nothing runs
        sys.stderr.write(f"Error: {e}\n")
        return e.exit_code
    return run_words(ctx, rest)


def entry() -> None:  # pragma: no cover - console script
    raise SystemExit(main())


if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    raise SystemExit(main())
