"""Variables in Compose files: ``$VAR``, ``${VAR}``, ``${VAR:-default}`` (unset or
empty), ``${VAR-default}`` (unset), ``${VAR:?error}``, ``${VAR?error}``,
``${VAR:+other}``, ``${VAR+other}``, and ``$$`` for a literal ``$``; a default may hold
variables of its own. Values are interpolated, keys are not, as in Compose.

And the ``.env`` file those variables come from (after the process's own environment):
``KEY=VALUE`` lines, ``export`` allowed, ``#`` comments, single quotes literal, double
quotes with escapes and variables.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path

from ..errors import ComposeFileError, InvalidArgument
from .yamlfile import Located

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import Any

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class Unresolved(InvalidArgument):
    """A ``${VAR:?message}`` whose variable has no value, or a malformed ``${``."""


def substitute(text: str, env: Mapping[str, str], warn: Callable[[str], None]) -> str:
    """``text`` with its variables replaced from ``env``; an unset one without a default
    is blank, and ``warn`` is told."""
    out, _ = _scan(text, 0, env, warn, inside=False)
    return out


def _scan(
    text: str, i: int, env: Mapping[str, str], warn: Callable[[str], None], inside: bool
) -> tuple[str, int]:
    """From ``i`` to the end, or (``inside`` a default) to the ``}`` that closes it."""
    out: list[str] = []
    while i < len(text):
        c = text[i]
        if inside and c == "}":
            return "".join(out), i
        if c != "$":
            out.append(c)
            i += 1
            continue
        nxt = text[i + 1 : i + 2]
        if nxt == "$":
            out.append("$")
            i += 2
        elif nxt == "{":
            value, i = _braced(text, i + 2, env, warn)
            out.append(value)
        elif (m := _NAME.match(text, i + 1)) is not None:
            out.append(_value(m.group(), env, warn))
            i = m.end()
        else:
            out.append("$")
            i += 1
    if inside:
        raise Unresolved(f"invalid interpolation format for {text!r}: missing '}}'")
    return "".join(out), i


def _braced(
    text: str, i: int, env: Mapping[str, str], warn: Callable[[str], None]
) -> tuple[str, int]:
    """``${...}`` from just after ``${``: the value and the index after ``}``."""
    m = _NAME.match(text, i)
    if m is None:
        raise Unresolved(f"invalid interpolation format for {text!r}")
    name, i = m.group(), m.end()
    if text[i : i + 1] == "}":
        return _value(name, env, warn), i + 1
    for op in (":-", ":?", ":+", "-", "?", "+"):
        if text.startswith(op, i):
            break
    else:
        raise Unresolved(f"invalid interpolation format for {text!r}")
    rest, end = _scan(text, i + len(op), env, warn, inside=True)
    value = env.get(name)
    empty = value is None or (op[0] == ":" and value == "")
    kind = op[-1]
    if kind == "-":
        return (rest if empty else value or ""), end + 1
    if kind == "+":
        return ("" if empty else rest), end + 1
    if empty:  # "?"
        raise Unresolved(f"required variable {name} is missing a value: {rest}".rstrip(": "))
    return value or "", end + 1


def _value(name: str, env: Mapping[str, str], warn: Callable[[str], None]) -> str:
    if name not in env:
        warn(f'The "{name}" variable is not set. Defaulting to a blank string.')
        return ""
    return env[name]


def interpolate(
    data: Any, env: Mapping[str, str], warn: Callable[[str], None], path: str = ""
) -> Any:
    """A copy of a file's model with every string value interpolated; an error names
    the file, line and key."""
    if isinstance(data, Located):
        out = data.like()
        for key, value in data.items():
            where = f"{path}.{key}" if path else key
            try:
                out[key] = interpolate(value, env, warn, where)
            except Unresolved as e:
                raise ComposeFileError(*data.mark_of(key), where, str(e)) from None
        return out
    if isinstance(data, list):
        return [interpolate(item, env, warn, path) for item in data]
    if isinstance(data, str):
        return substitute(data, env, warn)
    return data


# -- .env ------------------------------------------------------------------------------
def read_env_file(path: Path, env: Mapping[str, str] | None = None) -> dict[str, str]:
    """A ``.env`` file's variables; a value may use those of ``env`` and earlier lines."""
    known = dict(env or {})
    out: dict[str, str] = {}
    shown = path.name
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export ") :].lstrip()
        key, eq, value = line.partition("=")
        key = key.strip()
        if not _NAME.fullmatch(key):
            raise ComposeFileError(shown, number, key, "invalid variable name")
        if not eq:  # a bare name takes the environment's value, when there is one
            if key in known:
                out[key] = known[key]
            continue
        value = value.strip()
        try:
            value = _env_value(value, {**known, **out})
        except Unresolved as e:
            raise ComposeFileError(shown, number, key, str(e)) from None
        out[key] = value
    return out


def _env_value(value: str, env: Mapping[str, str]) -> str:
    if value[:1] == "'":
        end = value.find("'", 1)
        return value[1:end] if end > 0 else value[1:]
    if value[:1] == '"':
        chars: list[str] = []
        i = 1
        while i < len(value) and value[i] != '"':
            if value[i] == "\\" and i + 1 < len(value):
                i += 1
                chars.append({"n": "\n", "t": "\t", "r": "\r"}.get(value[i], value[i]))
            else:
                chars.append(value[i])
            i += 1
        return substitute("".join(chars), env, lambda _: None)
    hash_at = value.find(" #")
    if hash_at >= 0:
        value = value[:hash_at].rstrip()
    return substitute(value, env, lambda _: None)
