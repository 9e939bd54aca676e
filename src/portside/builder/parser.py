"""Dockerfile lines -> nodes: the instruction word, its flags, and its arguments.

A node keeps the line it started on, so every later error can say ``Dockerfile:LINE``.
Arguments are kept both as text (shell form) and, when the text is a JSON array of
strings, as that list (exec form).
"""

from __future__ import annotations

from ..errors import InvalidArgument
from ..fastjson import loads
from ..records import dataclass, field

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import Any

_NAME = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")


@dataclass(frozen=True)
class Node:
    instruction: str  # upper case: "CMD"
    text: str  # arguments after the instruction and its flags, stripped
    line: int = 1
    flags: dict[str, str] = field(default_factory=dict)
    source: str = ""
    end_line: int = 0  # the last line of the instruction (continuations, heredocs)
    heredocs: tuple[Any, ...] = ()  # dockerfile.Heredoc bodies, in order
    # every flag in order, repeats kept (``RUN --mount=… --mount=…``); ``flags`` keeps
    # the last value of each
    flag_list: tuple[tuple[str, str], ...] = ()

    def flag_values(self, name: str) -> list[str]:
        """Every value given to flag ``name``, in order."""
        return [value for flag, value in self.flag_list if flag == name]

    @property
    def json(self) -> list[str] | None:
        """The arguments as an exec-form list, or None when they are not a JSON array."""
        if not self.text.startswith("["):
            return None
        try:
            value = loads(self.text)
        except ValueError:
            return None
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return value
        return None


def parse_line(text: str, line: int = 1, where: str = "") -> Node:
    """Parse one logical instruction line (continuations already joined)."""
    stripped = text.strip()
    word, _, rest = stripped.partition(" ")
    if "\t" in word:
        word, _, more = word.partition("\t")
        rest = f"{more} {rest}"
    if not word:
        raise InvalidArgument(f"{where}empty instruction")
    rest = rest.strip()
    flags: dict[str, str] = {}
    flag_list: list[tuple[str, str]] = []
    while rest.startswith("--"):
        found = match_flag(rest)
        if found is None:
            break
        flag, value, end = found
        flags[flag] = value
        flag_list.append((flag, value))
        rest = rest[end:]
    return Node(word.upper(), rest.strip(), line, flags, stripped, flag_list=tuple(flag_list))


def match_flag(text: str) -> tuple[str, str, int] | None:
    """A flag at the start of ``text`` (``--name``, ``--name=value``) and the blanks
    after it: (name, value, where the rest starts); None when ``text`` has none. By
    hand, as the expression ``^--([a-zA-Z0-9-]+)(?:=(\\S*))?\\s*`` would match it (a
    unit test holds the two together): ``re`` is not loaded for a build."""
    if not text.startswith("--"):
        return None
    end, size = 2, len(text)
    while end < size and text[end] in _NAME:
        end += 1
    if end == 2:
        return None
    name, value = text[2:end], ""
    if end < size and text[end] == "=":
        start = end = end + 1
        while end < size and not text[end].isspace():
            end += 1
        value = text[start:end]
    while end < size and text[end].isspace():
        end += 1
    return name, value, end
