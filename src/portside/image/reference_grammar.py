"""The grammar of image references, matched by hand.

These functions answer exactly as the regular expressions below did (``re.match``, so a
``$`` also matches just before a final newline), which tests/unit/test_reference.py
checks against them on generated text. ``re`` is not imported: it costs ``images`` and
``inspect`` ~7 ms, more than the commands' own work (docs/benchmarks.md).

    name       (?:(?P<domain>DOMAIN)/)?(?P<path>COMPONENT(?:/COMPONENT)*)
    reference  ^(?P<name>name)(?::(?P<tag>TAG))?(?:@(?P<digest>DIGEST))?$
    COMPONENT  [a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*
    DOMAIN     HOST(?::[0-9]+)?   with HOST a dot-separated [a-zA-Z0-9-] label list
               (no label beginning or ending with '-') or \\[[a-fA-F0-9:]+\\]
    TAG        [\\w][\\w.-]{0,127}
    DIGEST     [A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}
    full ID    ^[a-f0-9]{64}$
"""

from __future__ import annotations

_LOWER_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
_LOWER_HEX = frozenset("0123456789abcdef")
_HEX = frozenset("0123456789abcdefABCDEF")
_PATH_SEPARATORS = frozenset("._-")


def match_reference(text: str) -> tuple[str | None, str, str | None, str | None] | None:
    """(domain, path, tag, digest) as the reference expression's groups, None where a
    group did not take part; None when ``text`` is no reference."""
    rest, at, digest = _before_final_newline(text).partition("@")
    if at and not _is_digest(digest):
        return None
    # a domain is tried first: the first component, when it is one, and a path after it
    first, slash, after = rest.partition("/")
    found = _path_and_tag(after) if slash and _is_domain(first) else None
    if found is not None:
        return first, found[0], found[1], digest if at else None
    found = _path_and_tag(rest)
    if found is None:
        return None
    return None, found[0], found[1], digest if at else None


def _is_domain(text: str) -> bool:
    """``HOST(?::[0-9]+)?``."""
    if text.startswith("["):
        inner, close, port = text[1:].partition("]")
        if not close or not inner or not all(c in _HEX or c == ":" for c in inner):
            return False
        return not port or (port[0] == ":" and _is_ascii_digits(port[1:]))
    host, colon, port = text.partition(":")
    if colon and not _is_ascii_digits(port):
        return False
    return all(_is_label(label) for label in host.split("."))


def _path_and_tag(text: str) -> tuple[str, str | None] | None:
    """``text`` (no digest) as the path and the tag after its ':', or None."""
    path, colon, tag = text.partition(":")
    if not all(_is_component(c) for c in path.split("/")):
        return None
    if colon and not _is_tag(tag):
        return None
    return path, tag if colon else None


def _is_label(label: str) -> bool:
    """A domain label: ``[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]``."""
    inner = label.replace("-", "")
    return inner.isascii() and inner.isalnum() and label[0] != "-" and label[-1] != "-"


def _is_component(component: str) -> bool:
    """A path component: lower-case alphanumeric runs, each two joined by '.', '_',
    '__' or any number of '-'."""
    if not component or component[0] not in _LOWER_ALNUM or component[-1] not in _LOWER_ALNUM:
        return False
    separator = ""
    for c in component:
        if c in _LOWER_ALNUM:
            if separator and separator not in (".", "_", "__") and separator.strip("-"):
                return False
            separator = ""
        elif c in _PATH_SEPARATORS:
            separator += c
        else:
            return False
    return True


def is_tag(tag: str) -> bool:
    """``^[\\w][\\w.-]{0,127}$``."""
    return _is_tag(_before_final_newline(tag))


def _is_tag(tag: str) -> bool:
    if not 1 <= len(tag) <= 128 or not _is_word(tag[0]):
        return False
    return all(_is_word(c) or c in ".-" for c in tag[1:])


def _is_word(c: str) -> bool:
    return c.isalnum() or c == "_"  # what re's \w is for str: Unicode letters and digits


def _is_digest(digest: str) -> bool:
    algorithm, colon, hex_part = digest.partition(":")
    if not colon or len(hex_part) < 32 or not all(c in _HEX for c in hex_part):
        return False
    for part in _split_any(algorithm, "-_+."):
        if not part or not part[0].isascii() or not part[0].isalpha():
            return False
        if not (part.isascii() and part.isalnum()):
            return False
    return True


def _split_any(text: str, separators: str) -> list[str]:
    for s in separators[1:]:
        text = text.replace(s, separators[0])
    return text.split(separators[0])


def is_full_hex_id(text: str) -> bool:
    """``^[a-f0-9]{64}$``."""
    text = _before_final_newline(text)
    return len(text) == 64 and _LOWER_HEX.issuperset(text)


def _is_ascii_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _before_final_newline(text: str) -> str:
    """What must match before ``$``: ``re``'s ``$`` also matches before a final newline."""
    return text[:-1] if text.endswith("\n") else text
