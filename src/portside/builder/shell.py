"""Shell-like word processing for Dockerfile arguments, as Docker's builder does it.

Quotes are removed (single quotes literal; double quotes allow ``$`` expansion and
backslash escapes of ``$ " \\``), the escape character escapes the next character, and
variables expand: ``$V``, ``${V}``, ``${V:-word}``, ``${V-word}``, ``${V:+word}``,
``${V+word}``, ``${V:?msg}``, ``${V?msg}``.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..errors import InvalidArgument

_NAME_START = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_"
_NAME_CHARS = _NAME_START + "0123456789"


class _Scanner:
    def __init__(self, text: str, env: Mapping[str, str], escape: str) -> None:
        self.text = text
        self.pos = 0
        self.env = env
        self.escape = escape

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def next(self) -> str:
        ch = self.peek()
        self.pos += 1
        return ch

    def words(self, split: bool) -> list[str]:
        words: list[str] = []
        current: list[str] = []
        in_word = False
        while self.pos < len(self.text):
            ch = self.next()
            if split and ch in " \t\n":
                if in_word:
                    words.append("".join(current))
                    current, in_word = [], False
                continue
            in_word = True
            if ch == "'":
                current.append(self.single_quoted())
            elif ch == '"':
                current.append(self.double_quoted())
            elif ch == self.escape:
                nxt = self.next()
                current.append(nxt if nxt else ch)
            elif ch == "$":
                current.append(self.variable())
            else:
                current.append(ch)
        if in_word:
            words.append("".join(current))
        return words

    def single_quoted(self) -> str:
        end = self.text.find("'", self.pos)
        if end < 0:
            raise InvalidArgument(
                "unexpected end of statement while looking for matching single-quote"
            )
        out = self.text[self.pos : end]
        self.pos = end + 1
        return out

    def double_quoted(self) -> str:
        out: list[str] = []
        while True:
            ch = self.next()
            if ch == "":
                raise InvalidArgument(
                    "unexpected end of statement while looking for matching double-quote"
                )
            if ch == '"':
                return "".join(out)
            if ch == self.escape and self.peek() in ('"', "$", self.escape):
                out.append(self.next())
            elif ch == "$":
                out.append(self.variable())
            else:
                out.append(ch)

    def variable(self) -> str:
        ch = self.peek()
        if ch == "{":
            self.next()
            return self.braced()
        if ch and ch in _NAME_START:
            start = self.pos
            while self.peek() and self.peek() in _NAME_CHARS:
                self.pos += 1
            return self.env.get(self.text[start : self.pos], "")
        return "$"

    def braced(self) -> str:
        start = self.pos
        while self.peek() and self.peek() in _NAME_CHARS:
            self.pos += 1
        name = self.text[start : self.pos]
        if not name:
            raise InvalidArgument(f"bad substitution in {self.text!r}")
        ch = self.next()
        if ch == "}":
            return self.env.get(name, "")
        colon = ch == ":"
        if colon:
            ch = self.next()
        if ch not in ("-", "+", "?"):
            raise InvalidArgument(f"unsupported modifier ({ch}) in substitution: {self.text!r}")
        word = self.word_until_brace()
        is_set = name in self.env and (not colon or self.env[name] != "")
        if ch == "-":
            return self.env[name] if is_set else word
        if ch == "+":
            return word if is_set else ""
        if not is_set:
            raise InvalidArgument(f"{name}: {word or 'is not allowed to be unset'}")
        return self.env[name]

    def word_until_brace(self) -> str:
        out: list[str] = []
        while True:
            ch = self.next()
            if ch == "":
                raise InvalidArgument(f"missing '}}' in {self.text!r}")
            if ch == "}":
                return "".join(out)
            if ch == "$":
                out.append(self.variable())
            elif ch == "'":
                out.append(self.single_quoted())
            elif ch == '"':
                out.append(self.double_quoted())
            elif ch == self.escape:
                out.append(self.next())
            else:
                out.append(ch)


def process_word(text: str, env: Mapping[str, str], escape: str = "\\") -> str:
    """Expand and unquote ``text`` as one word (no splitting on spaces)."""
    words = _Scanner(text, env, escape).words(split=False)
    return words[0] if words else ""


def process_words(text: str, env: Mapping[str, str], escape: str = "\\") -> list[str]:
    """Expand and unquote ``text``, splitting on unquoted white space."""
    return _Scanner(text, env, escape).words(split=True)
