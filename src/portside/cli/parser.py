"""The verbs' argv parser: Docker's flag syntax (cobra and pflag), declared as argparse's.

Verbs declare flags with ``add_argument`` (argparse's keywords: ``action`` store,
store_true, store_const, append, help; ``type`` int or float; ``choices``; ``nargs`` on
positionals: ``?``, ``*``, ``...``) and get back a namespace with one attribute per
``dest``. argparse itself is not used: importing it (with ``re`` and ``gettext``) costs
every command ~3 ms before it does anything (docs/benchmarks.md).

The syntax, as pflag reads it:

- ``--name value``, ``--name=value``; ``-n value``, ``-nvalue``, ``-n=value``;
- short booleans in a cluster, the last of which may take a value: ``-it``, ``-itp 80``;
- flags and arguments interleave (``rm a -f b``) until a ``...`` positional has begun
  (``run IMAGE CMD...``): from there every word, ``--`` too, is the command's;
- ``--`` ends the flags; a lone ``-`` is an argument;
- a value flag takes the next word unless it looks like a flag; negative numbers
  (``-n -1``) and words with a space are values, as argparse took them;
- on/off flags (``store_true``, and ``add_go_bool``'s that default to on) are Go
  booleans: ``--flag``, ``--flag=false``, ``-a=1``; never the next word.

Errors are one line in pflag's words, raised as ``UsageError`` (exit 125).
"""

from __future__ import annotations

import sys
from types import SimpleNamespace

from ..errors import ArgumentCountError, UsageError
from ..records import dataclass

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any, NoReturn

SUPPRESS = "==SUPPRESS=="  # as help: a flag that works but is neither in help nor completed
REMAINDER = "..."  # as nargs: this positional and every word after it


class Namespace(SimpleNamespace):
    """What ``parse_args`` returns: one attribute per flag and positional, by dest."""


class Described(BaseException):  # noqa: N818 - not an error: no verb may catch it
    """Raised by ``parse_args`` while ``Parser.describing``: carries the verb's parser
    out of its ``run`` before it does anything (``completion`` reads the flags)."""

    def __init__(self, parser: Parser) -> None:
        super().__init__(parser.prog)
        self.parser = parser


@dataclass(frozen=True)
class Flag:
    """One flag as declared. ``action``: store, append, store_true, store_const,
    go_bool (``add_go_bool``) or help."""

    names: tuple[str, ...]
    dest: str
    action: str = "store"
    default: Any = None
    const: Any = None
    type: Callable[[str], Any] | None = None
    choices: tuple[str, ...] = ()
    metavar: str | None = None
    help: str | None = None

    @property
    def takes_value(self) -> bool:
        return self.action in ("store", "append")

    @property
    def hidden(self) -> bool:
        return self.help == SUPPRESS

    @property
    def label(self) -> str:
        """How pflag names it in errors: ``-t, --time`` or ``--name``."""
        short = [n for n in self.names if not n.startswith("--")]
        long = [n for n in self.names if n.startswith("--")]
        return ", ".join([*short[:1], *long[:1]])


@dataclass(frozen=True)
class Positional:
    dest: str
    nargs: str | None = None  # None: exactly one; "?", "*" or "..."
    default: Any = None


_HELP = "-help"  # in parse_args' values: --help was given (no dest can be this)
_ACTIONS = ("store", "append", "store_true", "store_const", "help")


class Parser:
    """Flags and positionals of one verb; Docker's help and errors."""

    describing = False  # see Described

    def __init__(self, verb: str, usage: str, description: str, add_help: bool = True) -> None:
        self.verb = verb
        self.prog = f"portside {verb}"
        self.usage = f"portside {verb} {usage}".rstrip()
        self.description = description
        self.flags: list[Flag] = []  # in the order declared (completion lists them so)
        self.positionals: list[Positional] = []
        self._by_name: dict[str, Flag] = {}
        if add_help:
            self.add_argument("-h", "--help", action="help", help="show this help message and exit")

    def add_argument(
        self,
        *names: str,
        action: str = "store",
        nargs: str | None = None,
        default: Any = None,
        const: Any = None,
        type: Callable[[str], Any] | None = None,
        choices: Sequence[str] = (),
        dest: str | None = None,
        metavar: str | None = None,
        help: str | None = None,
    ) -> None:
        if action not in _ACTIONS:
            raise ValueError(f"{self.prog}: unsupported action {action!r}")
        if not names[0].startswith("-"):
            self._add_positional(names[0], nargs, default)
            return
        if nargs is not None:
            raise ValueError(f"{self.prog}: nargs is for positionals only ({names[0]})")
        long = [n for n in names if n.startswith("--")]
        if dest is None:
            dest = (long or list(names))[0].lstrip("-").replace("-", "_")
        if action == "store_true" and default is None:
            default = False
        self._add(Flag(names, dest, action, default, const, type, tuple(choices), metavar, help))

    def add_go_bool(
        self, flag: str, default: bool | None, help: str, long: str | None = None
    ) -> None:
        """A boolean flag as Go's: ``--flag`` or ``--flag=true`` sets it, ``--flag=false``
        clears it; a following word is never taken as its value. ``long``: the long
        name when ``flag`` is the short one (``-p`` and ``--pause``)."""
        names = (flag, long) if long else (flag,)
        dest = names[-1].lstrip("-").replace("-", "_")
        self._add(Flag(names, dest, "go_bool", default, True, help=help))

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

    def _add(self, flag: Flag) -> None:
        for name in flag.names:
            if name in self._by_name or len(name) < 2 or (name[1] != "-" and len(name) != 2):
                raise ValueError(f"{self.prog}: bad or repeated flag name {name!r}")
            self._by_name[name] = flag
        self.flags.append(flag)

    def _add_positional(self, dest: str, nargs: str | None, default: Any) -> None:
        if nargs not in (None, "?", "*", REMAINDER):
            raise ValueError(f"{self.prog}: unsupported nargs {nargs!r} for {dest}")
        if any(p.nargs in ("*", REMAINDER) for p in self.positionals):
            raise ValueError(f"{self.prog}: {dest} follows a positional that takes the rest")
        if nargs in ("*", REMAINDER) and default is None:
            default = []
        self.positionals.append(Positional(dest, nargs, default))

    # parsing

    def parse_args(self, args: Sequence[str] | None = None) -> Namespace:
        """The namespace of ``args`` (default: ``sys.argv[1:]``); a ``UsageError`` for
        words that do not fit; ``--help`` among flags that parse writes the help and
        exits 0, whatever the arguments."""
        if Parser.describing:
            raise Described(self)
        words = list(sys.argv[1:] if args is None else args)
        values: dict[str, Any] = {}
        for flag in self.flags:
            if flag.action != "help" and flag.dest not in values:
                default = flag.default
                values[flag.dest] = list(default) if isinstance(default, list) else default
        rest_from = self._remainder_index()
        arguments: list[str] = []
        i = 0
        while i < len(words):
            word = words[i]
            i += 1
            if rest_from is not None and len(arguments) >= rest_from:
                arguments.append(word)  # the command's own words
            elif word == "--":
                arguments.extend(words[i:])
                break
            elif self._is_flag(word):
                i = self._flag(word, words, i, values)
            else:
                arguments.append(word)
        if values.pop(_HELP, False):
            sys.stdout.write(self.format_help())
            raise SystemExit(0)
        values.update(self._assign(arguments))
        return Namespace(**values)

    def _remainder_index(self) -> int | None:
        """How many arguments come before the ``...`` positional begins (None: there is
        none): those before it, and at least one, as flags before any argument are the
        verb's (pflag's SetInterspersed(false), which run and exec use)."""
        for n, positional in enumerate(self.positionals):
            if positional.nargs == REMAINDER:
                return max(n, 1)
        return None

    def _is_flag(self, word: str) -> bool:
        """argparse's reading, which pflag shares for the words that matter: a word is a
        flag if it starts with "-" and is not "-", a negative number or (unless it
        begins with a known flag) a word with a space in it."""
        if len(word) < 2 or word[0] != "-":
            return False
        known = word.partition("=")[0] if word[1] == "-" else word[:2]
        if known in self._by_name:
            return True
        return not _is_negative_number(word) and " " not in word

    def _flag(self, word: str, words: list[str], i: int, values: dict[str, Any]) -> int:
        """Apply the flag (or cluster of short flags) ``word``; ``words[i]`` is the word
        after it. Returns the index of the next word to read."""
        if word.startswith("--"):
            name, eq, value = word.partition("=")
            flag = self._by_name.get(name)
            if flag is None:
                self.error(f"unknown flag: {name}")
            if flag.takes_value and not eq:
                if i >= len(words) or not self._is_value(words[i]):
                    self.error(f"flag needs an argument: {name}")
                value, i = words[i], i + 1
            self._set(flag, value if eq or flag.takes_value else None, values)
            return i
        cluster = word[1:]
        for n, char in enumerate(cluster):
            flag = self._by_name.get(f"-{char}")
            if flag is None:
                self.error(f"unknown shorthand flag: '{char}' in {word}")
            after = cluster[n + 1 :]
            if not flag.takes_value:
                if after.startswith("="):
                    self._set(flag, after[1:], values)
                    return i
                self._set(flag, None, values)
                continue
            if after:  # -nVALUE, -n=VALUE
                self._set(flag, after[1:] if after.startswith("=") else after, values)
                return i
            if i >= len(words) or not self._is_value(words[i]):
                self.error(f"flag needs an argument: '{char}' in {word}")
            self._set(flag, words[i], values)
            return i + 1
        return i

    def _is_value(self, word: str) -> bool:
        return word != "--" and not self._is_flag(word)

    def _set(self, flag: Flag, value: str | None, values: dict[str, Any]) -> None:
        """Record one occurrence of ``flag``: ``value`` None when none was given."""
        action = flag.action
        if action in ("go_bool", "store_true") and value is not None:
            values[flag.dest] = self._go_bool(value)  # every pflag bool: --all=false
            return
        if action == "go_bool":
            values[flag.dest] = True
            return
        if value is not None and not flag.takes_value:
            self.error(f'invalid argument "{value}" for "{flag.label}" flag: takes no value')
        if action == "help":
            values[_HELP] = True  # written once every flag has parsed, as cobra does
            return
        if value is None:
            values[flag.dest] = True if action == "store_true" else flag.const
            return
        converted = self._convert(flag, value)
        if action == "append":
            values[flag.dest] = [*(values[flag.dest] or []), converted]
        else:
            values[flag.dest] = converted

    def _convert(self, flag: Flag, value: str) -> Any:
        if flag.choices and value not in flag.choices:
            allowed = ", ".join(f'"{c}"' for c in flag.choices)
            self.error(f'invalid argument "{value}" for "{flag.label}" flag: not one of {allowed}')
        if flag.type is None:
            return value
        try:
            return flag.type(value)
        except ValueError:
            go = "ParseInt" if flag.type is int else "ParseFloat"
            self.error(
                f'invalid argument "{value}" for "{flag.label}" flag: '
                f'strconv.{go}: parsing "{value}": invalid syntax'
            )

    def _go_bool(self, text: str) -> bool:
        """A Go boolean flag's value: true/false, 1/0, t/f, in any case."""
        value = text.lower()
        if value in ("1", "t", "true"):
            return True
        if value in ("0", "f", "false"):
            return False
        self.error(f'invalid argument "{text}" for boolean flag: parse error')

    def _assign(self, arguments: list[str]) -> dict[str, Any]:
        """The positionals' values from the arguments, in order: one each, "?" one if
        there are enough for those after it that need one, "*" and "..." the rest."""
        out: dict[str, Any] = {}
        left = list(arguments)
        needed = sum(1 for p in self.positionals if p.nargs is None)
        for positional in self.positionals:
            if positional.nargs is None:
                needed -= 1
                if not left:
                    self.error(f"missing argument: {positional.dest.upper()}")
                out[positional.dest] = left.pop(0)
            elif positional.nargs == "?":
                out[positional.dest] = left.pop(0) if len(left) > needed else positional.default
            else:
                taken, left = left[: len(left) - needed], left[len(left) - needed :]
                default = positional.default
                out[positional.dest] = taken or (list(default) if default == [] else default)
        if left:
            most = len(arguments) - len(left)
            self._count_error(
                f"requires at most {most} argument{'s' if most != 1 else ''}"
                if most
                else "accepts no arguments"
            )
        return out

    # what users read

    def format_help(self) -> str:
        """Docker's help: its usage line, the description, then the flags sorted by
        name with their value type and default, wrapped to 80 columns."""
        import textwrap

        rows = []
        for flag in self.flags:
            if flag.hidden or flag.action == "help":
                continue
            short = [o for o in flag.names if not o.startswith("--")]
            long = [o for o in flag.names if o.startswith("--")]
            left = (f"{short[0]}, " if short else "    ") + (long[0] if long else "")
            kind = _value_kind(flag)
            help_text = flag.help or ""
            default = _shown_default(flag)
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
        raise UsageError(f"{message}\nSee 'portside {self.verb} --help'.")

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
        self._count_error(f"requires {what}")

    def _count_error(self, says: str) -> NoReturn:
        """Cobra's words: ``"portside tag" requires exactly 2 arguments.``, then the
        usage."""
        raise ArgumentCountError(
            f"\"portside {self.verb}\" {says}.\nSee 'portside {self.verb} --help'.\n\n"
            f"Usage:  {self.usage}\n\n{self.description}"
        )


def _is_negative_number(word: str) -> bool:
    """``-1``, ``-2.5``, ``-.5``: what argparse let a value or an argument start with."""
    whole, dot, fraction = word[1:].partition(".")
    if not dot:
        return whole.isdecimal()
    return fraction.isdecimal() and (whole == "" or whole.isdecimal())


def _value_kind(flag: Flag) -> str:
    """The value's name in help, as Docker's: string, int, list, or the metavar given."""
    if not flag.takes_value:
        return ""
    if flag.metavar is not None:
        return flag.metavar
    if flag.action == "append":
        return "list"
    return "int" if flag.type is int else "string"


def _shown_default(flag: Flag) -> str:
    """A default worth saying, in Go's words: true, a number, a string."""
    value = flag.default
    if value is None or value is False or value == "" or value == [] or value == {}:
        return ""
    if value is True:
        return "true" if not flag.takes_value else ""
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)
