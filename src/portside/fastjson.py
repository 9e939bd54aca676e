"""JSON for the short commands, without importing the ``json`` package.

``import json`` costs about 7 ms here, most of it ``re`` and ``enum``, which json's
decoder and encoder import for their pure-Python fallbacks. The work itself is done by
CPython's C accelerator, ``_json``, in both cases; this module calls it directly, so a
command that reads the store (``ps``, ``images``, ``inspect``, ``rm``) does not pay for
the fallbacks (docs/benchmarks.md). Output and errors are ``json``'s: the same text for
the same arguments, and on bad input the same ``json.JSONDecodeError`` (a ValueError),
with json imported only then. Anything that needs more of json's options imports json.
"""

from __future__ import annotations

from _json import encode_basestring, encode_basestring_ascii, make_encoder, make_scanner

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

_WHITESPACE = " \t\n\r"
_CONSTANTS = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}


class _Context:
    """What the C scanner reads from json's JSONDecoder: its defaults."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = _CONSTANTS.__getitem__


_scan = make_scanner(_Context())  # type: ignore[arg-type]  # the stub names JSONDecoder


def loads(text: str | bytes) -> Any:
    """``json.loads(text)``."""
    if isinstance(text, (bytes, bytearray)):
        text = text.decode("utf-8-sig" if text[:3] == b"\xef\xbb\xbf" else "utf-8")
    start = len(text) - len(text.lstrip(_WHITESPACE))
    try:
        value, end = _scan(text, start)
    except StopIteration as e:
        _fail("Expecting value", text, e.value)
    except SystemError:
        # an error inside a value (an unterminated string …): _json raises it as
        # json.decoder's JSONDecodeError, which it looks up in sys.modules without
        # importing it, and without it fails with SystemError. With it, the same call
        # raises json's own error.
        import json.decoder  # noqa: F401

        value, end = _scan(text, start)
    rest = text[end:]
    if rest.strip(_WHITESPACE):
        _fail("Extra data", text, end + len(rest) - len(rest.lstrip(_WHITESPACE)))
    return value


def _fail(why: str, text: str, at: int) -> None:
    from json import JSONDecodeError

    raise JSONDecodeError(why, text, at)


def _unserializable(o: object) -> Any:
    raise TypeError(f"Object of type {o.__class__.__name__} is not JSON serializable")


def dumps(
    value: Any,
    *,
    indent: int | None = None,
    ensure_ascii: bool = True,
    separators: tuple[str, str] | None = None,
    sort_keys: bool = False,
    default: Callable[[Any], Any] | None = None,
) -> str:
    """``json.dumps`` with these arguments (and its others at their defaults)."""
    item_separator, key_separator = separators or ((",", ": ") if indent else (", ", ": "))
    encode = make_encoder(
        {},  # json's check_circular
        default or _unserializable,
        encode_basestring_ascii if ensure_ascii else encode_basestring,
        None,
        key_separator,
        item_separator,
        sort_keys,
        False,  # skipkeys
        True,  # allow_nan
    )
    if indent is None:
        return "".join(encode(value, 0))
    parts: list[str] = []
    how = (item_separator, key_separator, sort_keys, default or _unserializable)
    _indented(value, encode, indent, 0, how, parts)
    return "".join(parts)


def _indented(
    value: Any,
    encode: Callable[[Any, int], Any],
    indent: int,
    level: int,
    how: tuple[str, str, bool, Callable[[Any], Any]],
    out: list[str],
) -> None:
    """json's layout for ``indent``: one member a line; scalars by the C encoder."""
    item_separator, key_separator, sort_keys, default = how
    if isinstance(value, dict):
        if not value:
            out.append("{}")
            return
        items = sorted(value.items()) if sort_keys else value.items()
        inner = "\n" + " " * (indent * (level + 1))
        out.append("{")
        for n, (key, member) in enumerate(items):
            out.append(inner if n == 0 else item_separator + inner)
            out.append(_key(key, encode))
            out.append(key_separator)
            _indented(member, encode, indent, level + 1, how, out)
        out.append("\n" + " " * (indent * level) + "}")
    elif isinstance(value, (list, tuple)):
        if not value:
            out.append("[]")
            return
        inner = "\n" + " " * (indent * (level + 1))
        out.append("[")
        for n, member in enumerate(value):
            out.append(inner if n == 0 else item_separator + inner)
            _indented(member, encode, indent, level + 1, how, out)
        out.append("\n" + " " * (indent * level) + "]")
    elif value is None or isinstance(value, (str, int, float)):
        out.extend(encode(value, level))
    else:
        _indented(default(value), encode, indent, level, how, out)


def _key(key: Any, encode: Callable[[Any, int], Any]) -> str:
    """A member's name as json writes it: numbers, booleans and null become strings."""
    if not isinstance(key, str):
        key = "".join(encode(key, 0))
    return "".join(encode(key, 0))
