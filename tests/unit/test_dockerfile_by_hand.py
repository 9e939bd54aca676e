"""The Dockerfile parser reads flags and stage names by hand, as the regular
expression it used before would (``re`` is not loaded for a build): this holds the two
together on generated text, and checks the continuation rule the same way; so too the
git URL test of COPY/ADD sources and EXPOSE's ports."""

from __future__ import annotations

import random
import re

import pytest

from portside.builder.dockerfile import parse
from portside.builder.parser import match_flag

FLAG = re.compile(r"^--([a-zA-Z0-9-]+)(?:=(\S*))?\s*")
ALPHABET = ["-", "-", "=", "a", "Z", "0", "9", "_", ".", "/", " ", "\t", "\u00a0", "\u2003", "é"]


def by_expression(text: str) -> tuple[str, str, int] | None:
    m = FLAG.match(text)
    return None if m is None else (m.group(1), m.group(2) or "", m.end())


@pytest.mark.parametrize("seed", range(4))
def test_flags_are_read_as_the_expression_reads_them(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(10_000):
        text = "--" * rng.randint(0, 1) + "".join(rng.choices(ALPHABET, k=rng.randint(0, 12)))
        assert match_flag(text) == by_expression(text), repr(text)


@pytest.mark.parametrize(
    "text",
    ["--from=build /app /app", "--mount=type=cache,target=/x  run", "--chmod=755\tx", "--", "--=x"],
)
def test_flags_of_real_instructions(text: str) -> None:
    assert match_flag(text) == by_expression(text)


def test_a_line_continues_when_the_escape_is_followed_by_blanks_only() -> None:
    text = 'FROM scratch\nRUN a \\ \t\n  b \\\\\nCMD ["x"] \\ y\n'
    nodes = parse(text).nodes
    # "b \\\\" ends in the escape too: the CMD line is the RUN's last
    assert [n.source for n in nodes] == ["FROM scratch", 'RUN a   b \\CMD ["x"] \\ y']
    backtick = parse("# escape=`\nFROM scratch\nRUN a `\n b\n").nodes
    assert [n.source for n in backtick] == ["FROM scratch", "RUN a  b"]


def test_stage_names_are_checked_as_the_expression_checks_them() -> None:
    from portside.builder.instructions import _stage_name

    expression = re.compile(r"^[a-z][a-z0-9-_.]*$")
    rng = random.Random(7)
    letters = list("az09-_.:A/é ") + ["", "\u0131"]
    for _ in range(20_000):
        name = "".join(rng.choices(letters, k=rng.randint(0, 6)))
        if any(c.isspace() for c in name):
            continue  # a stage name is a word of the FROM line: never holds a blank
        assert _stage_name(name) == bool(expression.match(name)), repr(name)


GIT_URL = re.compile(r"^(?:git://|git@|ssh://|(?:https?|file)://[^#]*\.git(?:[#/]|$))")
URL_PARTS = ["git://", "git@", "ssh://", "http://", "https://", "file://", "ftp://", "h.git"]
URL_PARTS += [".git", "/", "#", "x", ".gi", "t", ":", "//", "a.git/", "#.git"]


def test_git_urls_are_told_as_the_expression_tells_them() -> None:
    from portside.builder.git_source import is_git_url

    rng = random.Random(7)
    for _ in range(50_000):
        text = "".join(rng.choices(URL_PARTS, k=rng.randint(0, 6)))
        assert is_git_url(text) == bool(GIT_URL.match(text)), repr(text)


PORT = re.compile(r"^(\d+)(?:-(\d+))?(?:/(tcp|udp|sctp))?$")


def test_exposed_ports_are_read_as_the_expression_reads_them() -> None:
    from portside.builder.config_ops import expand_ports
    from portside.errors import InvalidArgument

    rng = random.Random(8)
    pieces = ["8", "80", "0", "-", "/", "tcp", "udp", "sctp", "icmp", " ", "x", "٣"]
    for _ in range(20_000):
        text = "".join(rng.choices(pieces, k=rng.randint(0, 5)))
        m = PORT.match(text)
        try:
            got: list[str] | None = expand_ports([text])
        except InvalidArgument:
            got = None
        if m is None or not text.isascii():  # \d took other digits; Docker's do not
            assert got is None, repr(text)
        elif not int(m.group(1)) <= int(m.group(2) or m.group(1)) <= 65535:
            assert got is None, repr(text)
        else:
            assert got is not None and got[0] == f"{int(m.group(1))}/{m.group(3) or 'tcp'}"


IGNORE_PIECES = ["a", "b", "/", "*", "**", "**/", "?", ".", "\\*", "\\", "node_modules", "\n"]
PATH_PIECES = ["a", "b", "/", ".", "*", "ab", "node_modules", "x.log", "\n", "é"]


def ignore_expression(pattern: str) -> re.Pattern[str]:
    """How builder/context.py compiled each .dockerignore pattern before ignore_glob.py."""
    out = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if pattern.startswith("**", i):
            i += 2
            if pattern.startswith("/", i):
                i += 1
                out.append("(?:.*/)?")
            else:
                out.append(".*")
            continue
        if ch == "*":
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out.append(re.escape(ch))
            else:
                body = pattern[i + 1 : end]
                if body.startswith("^") or body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
                i = end
        elif ch == "\\" and i + 1 < len(pattern):
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(ch))
        i += 1
    return re.compile("".join(out) + r"(?:/.*)?\Z")


@pytest.mark.parametrize("seed", range(3))
def test_ignore_patterns_match_as_their_expressions_match(seed: int) -> None:
    from portside.builder.ignore_glob import Glob

    rng = random.Random(seed)
    for _ in range(3000):
        pattern = "".join(rng.choices(IGNORE_PIECES, k=rng.randint(1, 5)))
        glob, expression = Glob(pattern), ignore_expression(pattern)
        assert glob.tokens is not None  # no class: matched by hand
        for _ in range(10):
            path = "".join(rng.choices(PATH_PIECES, k=rng.randint(0, 6)))
            assert glob.match(path) == bool(expression.match(path)), (pattern, path)


@pytest.mark.filterwarnings("ignore:Possible nested set:FutureWarning")  # re's, on "[[a]"
def test_patterns_with_a_class_match_as_their_expressions_match() -> None:
    from portside.builder.ignore_glob import Glob

    rng = random.Random(9)
    pieces = [*IGNORE_PIECES, "[ab]", "[!b]", "[^a/]", "[", "]", "\\["]
    for _ in range(3000):
        pattern = "".join(rng.choices(pieces, k=rng.randint(1, 5)))
        glob = Glob(pattern)
        try:
            expression = ignore_expression(pattern)
        except re.error:  # a class that is no expression ("[\\]"): refused as before
            with pytest.raises(re.error):
                glob.match("a")
            continue
        for _ in range(10):
            path = "".join(rng.choices([*PATH_PIECES, "[", "]", "!"], k=rng.randint(0, 6)))
            assert glob.match(path) == bool(expression.match(path)), (pattern, path)


def test_a_pattern_with_a_class_is_an_expression() -> None:
    from portside.builder.ignore_glob import Glob

    glob = Glob("[!a]*.log")
    assert glob.tokens is None
    assert glob.match("b.log") and glob.match("b.log/x") and not glob.match("a.log")
