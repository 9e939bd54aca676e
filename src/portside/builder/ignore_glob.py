""".dockerignore and COPY --exclude patterns, matched against context-relative paths.

A pattern matches a path, or anything under one: ``*`` is any run of characters
without ``/``, ``?`` one such character, ``**/`` any number of whole folders, ``**``
elsewhere anything, ``\\x`` the character x, ``[...]`` a character class (``[!...]``
or ``[^...]`` its complement). A pattern without a class is matched by hand here:
``re`` costs a build ~4 ms to import, and nearly every .dockerignore is ``node_modules``,
``*.log`` and ``**/.git``. One with a class is compiled as a regular expression, as
all of them were (``tests/unit/test_dockerfile_by_hand.py`` holds both to the old
expressions).
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    import re

_LITERAL, _ONE, _STAR, _ANY, _FOLDERS, _CLASS = range(6)


class Glob:
    """One pattern; ``match(path)`` as ``re.match`` of its expression would answer."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        tokens = _tokens(pattern)
        # matched by hand, or None: it holds a class, and its expression is compiled
        self.tokens = None if any(kind == _CLASS for kind, _ in tokens) else tokens
        self._all = tokens
        self._regex: re.Pattern[str] | None = None

    def match(self, path: str) -> bool:
        if self.tokens is None:
            if self._regex is None:
                self._regex = _compile(self._all)
            return self._regex.match(path) is not None
        return _match(self.tokens, path, 0, 0)


def _tokens(pattern: str) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if pattern.startswith("**", i):
            i += 2
            if pattern.startswith("/", i):
                i += 1
                out.append((_FOLDERS, ""))
            else:
                out.append((_ANY, ""))
            continue
        end = pattern.find("]", i + 1) if ch == "[" else -1
        if ch == "*":
            out.append((_STAR, ""))
        elif ch == "?":
            out.append((_ONE, ""))
        elif end >= 0:  # [...]: its body as the expression reads it; [!...] is [^...]
            body = pattern[i + 1 : end]
            out.append((_CLASS, "^" + body[1:] if body[:1] in ("^", "!") else body))
            i = end
        else:  # an unclosed "[" is itself
            if ch == "\\" and i + 1 < len(pattern):
                i += 1
                ch = pattern[i]
            if out and out[-1][0] == _LITERAL:
                out[-1] = (_LITERAL, out[-1][1] + ch)
            else:
                out.append((_LITERAL, ch))
        i += 1
    return out


def _match(tokens: list[tuple[int, str]], text: str, i: int, t: int) -> bool:
    """Whether ``tokens[t:]`` match ``text[i:]``, then the end, or a ``/`` and a rest
    without a line break (the expression's ``(?:/.*)?\\Z``; its ``.`` is no newline)."""
    while t < len(tokens):
        kind, literal = tokens[t]
        if kind == _LITERAL:
            if not text.startswith(literal, i):
                return False
            i += len(literal)
        elif kind == _ONE:
            if i >= len(text) or text[i] == "/":
                return False
            i += 1
        elif kind == _FOLDERS:  # (?:.*/)?: nothing, or anything up to and with a "/"
            end = _line_end(text, i)
            at = text.find("/", i, end)
            while at >= 0:
                if _match(tokens, text, at + 1, t + 1):
                    return True
                at = text.find("/", at + 1, end)
        else:  # [^/]* or .*: each length, longest first
            end = text.find("/", i) if kind == _STAR else _line_end(text, i)
            end = len(text) if end < 0 else end
            return any(_match(tokens, text, k, t + 1) for k in range(end, i - 1, -1))
        t += 1
    rest = text[i:]
    return not rest or (rest[0] == "/" and "\n" not in rest)


def _line_end(text: str, i: int) -> int:
    end = text.find("\n", i)
    return len(text) if end < 0 else end


def _compile(tokens: list[tuple[int, str]]) -> re.Pattern[str]:
    """The tokens as a regular expression (a pattern with a class)."""
    import re

    shapes = {_ONE: "[^/]", _STAR: "[^/]*", _ANY: ".*", _FOLDERS: "(?:.*/)?"}
    parts = [
        re.escape(text) if kind == _LITERAL else f"[{text}]" if kind == _CLASS else shapes[kind]
        for kind, text in tokens
    ]
    return re.compile("".join(parts) + r"(?:/.*)?\Z")
