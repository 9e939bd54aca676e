"""What every verb module gets: settings, the engine (built on first use), and streams;
and the one place that maps errors to messages and exit codes."""

from __future__ import annotations

import argparse
import importlib
import sys
from functools import cached_property

from ..config import Settings
from ..errors import ArgumentCountError, PortsideError, UsageError
from ..records import replace

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import Any, NoReturn, TextIO

    from ..engine import Engine
    from .verbs import Group


class Context:
    def __init__(
        self,
        root: str | None = None,
        runroot: str | None = None,
        runtime: str | None = None,
        debug: bool = False,
        stdout: TextIO | None = None,
        stderr: TextIO | None = None,
        config: str | None = None,
    ) -> None:
        settings = Settings.from_env(root, runroot, config=config)
        if runtime:
            settings = replace(settings, runtime=runtime)
        self.settings = settings
        self.debug = debug
        self.stdout = stdout or sys.stdout
        self.stderr = stderr or sys.stderr
        self.verb = ""
        self.compose_flags: dict[str, list[str]] = {}  # compose's global flags (cli/compose.py)

    @cached_property
    def engine(self) -> Engine:
        from ..engine import Engine

        return Engine(self.settings)

    def error(self, message: str) -> None:
        self.stderr.write(f"Error: {message}\n")


class Described(BaseException):  # noqa: N818 - not an error: no verb may catch it
    """Raised by ``parse_args`` while ``Parser.describing``: carries the verb's parser
    out of its ``run`` before it does anything (``completion`` reads the flags)."""

    def __init__(self, parser: Parser) -> None:
        super().__init__(parser.prog)
        self.parser = parser


class _Formatter(argparse.HelpFormatter):
    """argparse makes one for every add_argument (to check the metavar) and asks the
    terminal's width each time, importing shutil (with bz2 and lzma) to do it. Help is
    written by Parser.format_help, never by this, so a fixed width does."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, width=100)


class Parser(argparse.ArgumentParser):
    """argparse that reports like Docker's CLI: 'unknown flag', exit 125, no usage dump."""

    describing = False  # see Described

    def __init__(self, verb: str, usage: str, description: str, add_help: bool = True) -> None:
        super().__init__(
            prog=f"portside {verb}",
            usage=f"portside {verb} {usage}".rstrip(),
            description=description,
            add_help=add_help,
            allow_abbrev=False,
            formatter_class=_Formatter,
        )
        self.verb = verb
        self._go_bools: dict[str, str] = {}  # flag -> its hidden "false" twin

    def add_go_bool(
        self, flag: str, default: bool | None, help: str, long: str | None = None
    ) -> None:
        """A boolean flag as Go's: ``--flag`` or ``--flag=true`` sets it, ``--flag=false``
        clears it; a following word is never taken as its value. ``long``: the long
        name when ``flag`` is the short one (``-p`` and ``--pause``)."""
        flags = [flag, long] if long else [flag]
        dest = flags[-1].lstrip("-").replace("-", "_")
        twin = f"--{dest}-is-false"
        self.add_argument(
            *flags, dest=dest, action="store_const", const=True, default=default, help=help
        )
        self.add_argument(
            twin, dest=dest, action="store_const", const=False, help=argparse.SUPPRESS
        )
        for name in flags:
            self._go_bools[name] = twin

    def parse_args(self, args: Any = None, namespace: Any = None) -> Any:
        if Parser.describing:
            raise Described(self)
        words = []
        for word in args if args is not None else sys.argv[1:]:
            flag, eq, value = word.partition("=")
            if eq and flag in self._go_bools:
                word = flag if _go_bool(value) else self._go_bools[flag]
            words.append(word)
        return super().parse_args(words, namespace)

    def format_help(self) -> str:
        """Docker's help: its usage line, the description, then the flags sorted by
        name with their value type and default, wrapped to 80 columns."""
        import textwrap

        rows = []
        for action in self._actions:
            if action.help == argparse.SUPPRESS or not action.option_strings:
                continue
            if isinstance(action, argparse._HelpAction):
                continue
            short = [o for o in action.option_strings if not o.startswith("--")]
            long = [o for o in action.option_strings if o.startswith("--")]
            left = (f"{short[0]}, " if short else "    ") + (long[0] if long else "")
            kind = _value_kind(action)
            help_text = action.help or ""
            default = _shown_default(action)
            if default:
                help_text += f" (default {default})"
            rows.append(
                ((long or short)[0].lstrip("-"), left + (f" {kind}" if kind else ""), help_text)
            )
        text = f"Usage:  {self.usage}\n\n{self.description}\n"
        if rows:
            width = max(len(left) for _, left, _ in rows) + 5
            text += "\nOptions:\n"
            for _, left, help_text in sorted(rows):
                lines = textwrap.wrap(help_text, max(80 - width, 30)) or [""]
                text += f"  {left:<{width - 2}}{lines[0]}\n"
                text += "".join(f"{'':<{width}}{line}\n" for line in lines[1:])
        return text

    def error(self, message: str) -> NoReturn:
        if message.startswith("unrecognized arguments: "):
            flag = message.split(": ", 1)[1].split()[0]
            message = f"unknown flag: {flag}" if flag.startswith("-") else message
        elif message.startswith("argument ") and "expected one argument" in message:
            flag = message.split()[1].split("/")[-1].rstrip(":")
            message = f"flag needs an argument: {flag}"
        raise UsageError(f"{message}\nSee 'portside {self.verb} --help'.")

    def add_image_flags(self, message_help: str) -> None:
        """``-c/--change`` and ``-m/--message`` of the commands that make an image."""
        self.add_argument(
            "-c",
            "--change",
            action="append",
            default=[],
            help="Apply Dockerfile instruction to the created image",
        )
        self.add_argument("-m", "--message", default="", help=message_help)

    def need(self, items: list[str], minimum: int, maximum: int | None = None) -> None:
        """Docker's "requires at least 1 argument" / "exactly 2 arguments" checks."""
        n = len(items)
        if maximum == minimum and n != minimum:
            what = f"exactly {minimum} argument{'s' if minimum != 1 else ''}"
        elif n < minimum:
            what = f"at least {minimum} argument{'s' if minimum != 1 else ''}"
        elif maximum is not None and n > maximum:
            what = f"at most {maximum} argument{'s' if maximum != 1 else ''}"
        else:
            return
        raise ArgumentCountError(
            f"\"portside {self.verb}\" requires {what}.\nSee 'portside {self.verb} --help'.\n\n"
            f"Usage:  {self.usage}\n\n{self.description}"
        )


def run_command(ctx: Context, verb: str, module_name: str, argv: list[str]) -> int:
    ctx.verb = verb
    module = importlib.import_module(f"portside.cli.{module_name}")
    try:
        return int(module.run(ctx, argv))
    except UsageError as e:
        ctx.stderr.write(f"{e}\n")
        return e.exit_code
    except PortsideError as e:
        ctx.error(str(e))
        return e.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 141
    finally:
        if "engine" in ctx.__dict__:
            ctx.engine.close()


def run_words(ctx: Context, words: list[str]) -> int:
    """``portside WORDS...``: a verb, or a management command and its verb."""
    from .verbs import GROUP, TOP

    group = GROUP.get(words[0])
    if group is not None and not group.module:
        return dispatch(ctx, group, words[1:])
    module = group.module if group is not None else TOP[words[0]].module
    return run_command(ctx, words[0], module, words[1:])


def dispatch(ctx: Context, group: Group, argv: list[str]) -> int:
    """A management command (``image``, ``container``, ``system``): its help, or one verb."""
    from .verbs import group_usage, group_verb

    if not argv or argv[0] in ("-h", "--help"):
        ctx.stdout.write(group_usage(group))
        return 0
    sub = argv[0]
    verb = group_verb(group, sub)
    if verb is None:
        ctx.stderr.write(
            f"portside: '{group.name} {sub}' is not a portside command.\n"
            f"See 'portside {group.name} --help'\n"
        )
        return 1
    return run_command(ctx, f"{group.name} {verb.name}", verb.module, argv[1:])


def _value_kind(action: argparse.Action) -> str:
    """The value's name in help, as Docker's: string, int, list, or the metavar given."""
    if action.nargs == 0:
        return ""
    if isinstance(action.metavar, str):
        return action.metavar
    if isinstance(action, argparse._AppendAction):
        return "list"
    return "int" if action.type is int else "string"


def _shown_default(action: argparse.Action) -> str:
    """A default worth saying, in Go's words: true, a number, a string."""
    value = action.default
    if value is None or value is False or value == "" or value == [] or value == {}:
        return ""
    if value is True:
        return "true" if action.nargs == 0 else ""
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


def _go_bool(text: str) -> bool:
    """A Go boolean flag's value: true/false, 1/0, t/f, in any case."""
    value = text.lower()
    if value in ("1", "t", "true"):
        return True
    if value in ("0", "f", "false"):
        return False
    raise UsageError(f'invalid argument "{text}" for boolean flag: parse error')


def add_tls_verify(p: Parser) -> None:
    """``--tls-verify[=false]`` (Podman's flag): require or skip TLS verification for
    this registry, whatever it is configured as. Unset: by its configuration."""
    p.add_go_bool(
        "--tls-verify",
        None,
        "Require HTTPS and verify certificates when talking to the registry",
    )
