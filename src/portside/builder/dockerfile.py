"""A Dockerfile's text -> nodes, with BuildKit's grammar.

- Parser directives (``# syntax=``, ``# escape=``, ``# check=``) only at the very top:
  the first blank line, comment, unknown directive (a comment too) or instruction ends
  them; a known one given twice is an error.
- Comment lines (``#`` after optional blanks) are dropped, also between the lines of a
  continued instruction; so are blank lines inside a continuation.
- A line ending in the escape character (``\\`` or, with ``# escape=`````, a backtick),
  optionally followed by blanks, continues on the next line: the escape and the newline
  are dropped and the next line is appended as it is.
- Heredocs for RUN, COPY and ADD: ``<<EOF``, ``<<-EOF`` (leading tabs stripped), and
  ``<<"EOF"`` / ``<<'EOF'`` (no variable expansion); several in one instruction, their
  bodies following it in order.

Every node keeps the line it starts on, so every error says ``Dockerfile:LINE: ...``.
"""

from __future__ import annotations

from ..errors import DockerfileError
from ..records import dataclass, replace
from .parser import Node, parse_line

INSTRUCTIONS = frozenset(
    {
        "ADD",
        "ARG",
        "CMD",
        "COPY",
        "ENTRYPOINT",
        "ENV",
        "EXPOSE",
        "FROM",
        "HEALTHCHECK",
        "LABEL",
        "MAINTAINER",
        "ONBUILD",
        "RUN",
        "SHELL",
        "STOPSIGNAL",
        "USER",
        "VOLUME",
        "WORKDIR",
    }
)
HEREDOC_INSTRUCTIONS = frozenset({"RUN", "COPY", "ADD"})
DIRECTIVES = ("syntax", "escape", "check")

# compiled where used (re is not loaded for a Dockerfile that has neither)
_DIRECTIVE = r"^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$"
_HEREDOC = r"<<(-?)(?:\"([^\"]*)\"|'([^']*)'|([A-Za-z0-9_.-]+))"


@dataclass(frozen=True)
class Heredoc:
    name: str
    content: str
    expand: bool  # an unquoted terminator: variables in the body expand
    chomp: bool  # <<- : leading tabs were stripped from every line


@dataclass(frozen=True)
class Dockerfile:
    nodes: tuple[Node, ...]
    directives: dict[str, str]
    escape: str
    name: str = "Dockerfile"


def decode(data: bytes, name: str = "Dockerfile") -> str:
    """The text of a Dockerfile: UTF-8, a leading byte-order mark dropped."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise DockerfileError(
            name, line, "invalid UTF-8: the Dockerfile must be UTF-8 text"
        ) from None


def parse(text: str, name: str = "Dockerfile") -> Dockerfile:
    lines = [ln[:-1] if ln.endswith("\r") else ln for ln in text.split("\n")]
    directives, first = _directives(lines, name)
    escape = directives.get("escape", "\\")
    nodes: list[Node] = []
    i = first
    while i < len(lines):
        line = lines[i]
        if _blank_or_comment(line):
            i += 1
            continue
        start = i
        parts: list[str] = []
        while True:
            current = lines[i]
            # continued: the escape, then only blanks (spaces, tabs) to the end
            kept = current.rstrip(" \t")
            if not kept.endswith(escape):
                parts.append(current)
                break
            parts.append(kept[: -len(escape)])
            i += 1
            while i < len(lines) and _blank_or_comment(lines[i]):
                i += 1
            if i >= len(lines):
                break
        # joined as BuildKit joins them: the escape and the newline go, and the next
        # line's own leading blanks stay
        node = _node("".join(parts).strip(), start + 1, name)
        node = replace(node, end_line=min(i, len(lines) - 1) + 1)
        i += 1
        if node.instruction in HEREDOC_INSTRUCTIONS:
            node, i = _read_heredocs(node, lines, i, name)
        nodes.append(node)
    return Dockerfile(tuple(nodes), directives, escape, name)


def directive_notes(dockerfile: Dockerfile) -> list[str]:
    """What the build says first about ``# syntax=`` and ``# check=``: read, and not
    acted on. BuildKit would fetch the syntax's frontend image; portside's own parser
    (BuildKit's grammar, this module) builds the file. There are no build checks here
    to skip or to turn into errors."""
    notes = []
    syntax = dockerfile.directives.get("syntax")
    if syntax:
        notes.append(f"# syntax={syntax}: not fetched; portside's own Dockerfile frontend builds")
    check = dockerfile.directives.get("check")
    if check:
        notes.append(f"# check={check}: portside runs no build checks")
    return notes


def _blank_or_comment(line: str) -> bool:
    stripped = line.lstrip(" \t")
    return not stripped or stripped.startswith("#")


def _directives(lines: list[str], name: str) -> tuple[dict[str, str], int]:
    found: dict[str, str] = {}
    i = 0
    if not lines[0].startswith("#"):  # no directive: one would be the first line
        return found, i
    import re

    while i < len(lines):
        m = re.match(_DIRECTIVE, lines[i])
        if m is None:
            break
        key, value = m.group(1).lower(), m.group(2)
        if key not in DIRECTIVES:
            break  # a comment, and no directive may follow it (as Docker documents)
        if key in DIRECTIVES:
            if key in found:
                raise DockerfileError(name, i + 1, f"only one {key} parser directive can be used")
            if key == "escape" and value not in ("\\", "`"):
                raise DockerfileError(
                    name, i + 1, f"invalid escape token '{value}' does not match ` or \\"
                )
            found[key] = value
        i += 1
    return found, i


def _node(text: str, line: int, name: str) -> Node:
    try:
        node = parse_line(text, line)
    except Exception as e:  # noqa: BLE001 - one place turns any parse error into file:line
        raise DockerfileError(name, line, str(e)) from None
    if node.instruction not in INSTRUCTIONS:
        word = text.split(None, 1)[0]
        raise DockerfileError(name, line, f"unknown instruction: {word}")
    return node


def _read_heredocs(node: Node, lines: list[str], i: int, name: str) -> tuple[Node, int]:
    """The bodies of the node's heredocs, read from ``lines[i:]`` in order."""
    if node.json is not None or "<<" not in node.text:
        return node, i
    import re

    docs: list[Heredoc] = []
    for m in re.finditer(_HEREDOC, node.text):
        chomp = m.group(1) == "-"
        quoted = m.group(4) is None
        word = m.group(2) if m.group(2) is not None else m.group(3) or m.group(4) or ""
        if not word:
            raise DockerfileError(name, node.line, "a heredoc needs a terminating word")
        body: list[str] = []
        while True:
            if i >= len(lines):
                raise DockerfileError(
                    name, node.line, f"unterminated heredoc {word!r}: no line {word!r} ends it"
                )
            current = lines[i].lstrip("\t") if chomp else lines[i]
            i += 1
            if current == word:
                break
            body.append(current)
        content = "".join(f"{b}\n" for b in body)
        docs.append(Heredoc(word, content, expand=not quoted, chomp=chomp))
    if not docs:
        return node, i
    return replace(node, heredocs=tuple(docs), end_line=i), i
