"""The reference grammar matched by hand answers as the regular expressions it replaced,
on generated text (valid references and near misses)."""

from __future__ import annotations

import random
import re

from portside.image.reference_grammar import is_full_hex_id, is_tag, match_reference

_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_HOST = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[(?:[a-fA-F0-9:]+)\])"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
REFERENCE = re.compile(
    rf"^(?P<name>(?:(?P<domain>{_HOST}(?::[0-9]+)?)/)?"
    rf"(?P<path>{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*))"
    rf"(?::(?P<tag>{_TAG}))?(?:@(?P<digest>{_DIGEST}))?$"
)
TAG = re.compile(rf"^{_TAG}$")
FULL_HEX_ID = re.compile(r"^[a-f0-9]{64}$")

DOMAINS = ["", "docker.io/", "localhost:5000/", "[::1]:5000/", "[::1]/", "my-host.com/"]
DOMAINS += ["-a.com/", "a-.com/", "a..b/", "a:/", "a:x/", "my_registry.com/", "A/", "[]/"]
DOMAINS += ["[g]/", "a.b:12:3/", "/"]
COMPONENTS = ["a", "ab", "a.b", "a_b", "a__b", "a---b", "a-.b", "A", "a_", "x9", "a___b", ""]
TAGS = ["", ":", ":1", ":v1.2", ":é", ":-a", ":" + "a" * 128, ":" + "a" * 129, ":a/b", ":_x"]
DIGESTS = ["", "@", "@sha256:" + "ab" * 32, "@sha256:" + "ab" * 15, "@a+b.c_d-e:" + "f" * 32]
DIGESTS += ["@a++b:" + "f" * 32, "@9a:" + "f" * 32, "@a:" + "G" * 32, "@sha256:" + "AB" * 32]
ENDS = ["", "", "\n", "\n\n", " "]
PIECES = ["a", "Z", "0", ".", "_", "-", ":", "/", "@", "[", "]", "\n", "é", "٣", "+", "ab" * 16]


def _texts(count: int) -> list[str]:
    rng = random.Random(24)
    texts = []
    for _ in range(count):
        path = "/".join(rng.choice(COMPONENTS) for _ in range(rng.randint(1, 3)))
        parts = (DOMAINS, [path], TAGS, DIGESTS, ENDS)
        texts.append("".join(rng.choice(p) for p in parts))
        texts.append("".join(rng.choice(PIECES) for _ in range(rng.randint(0, 8))))
    return texts


def test_match_reference_as_the_expression() -> None:
    matched = 0
    for text in _texts(20000):
        m = REFERENCE.match(text)
        expected = (m["domain"], m["path"], m["tag"], m["digest"]) if m else None
        assert match_reference(text) == expected, text
        matched += m is not None
    assert matched > 1000  # the generated text is not all refused


def test_tags_and_ids_as_the_expressions() -> None:
    for text in [*_texts(2000), "a" * 128, "a" * 129, "f" * 64, "f" * 64 + "\n", "F" * 64]:
        assert is_tag(text) == bool(TAG.match(text)), text
        assert is_full_hex_id(text) == bool(FULL_HEX_ID.match(text)), text
