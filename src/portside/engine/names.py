"""Container names: Docker's validation, and random ``adjective_name`` names."""

from __future__ import annotations

import os

from ..errors import InvalidArgument

_LEFT = (
    "admiring",
    "brave",
    "calm",
    "clever",
    "dazzling",
    "eager",
    "focused",
    "gallant",
    "happy",
    "jolly",
    "keen",
    "lucid",
    "modest",
    "nifty",
    "optimistic",
    "peaceful",
    "quirky",
    "relaxed",
    "serene",
    "tender",
    "upbeat",
    "vibrant",
    "wizardly",
    "youthful",
    "zealous",
)
_RIGHT = (
    "babbage",
    "curie",
    "dijkstra",
    "euler",
    "faraday",
    "galois",
    "hopper",
    "hypatia",
    "joliot",
    "kepler",
    "lamarr",
    "lovelace",
    "meitner",
    "noether",
    "pascal",
    "ritchie",
    "shannon",
    "thompson",
    "turing",
    "wozniak",
)


def is_docker_name(text: str) -> bool:
    """Whether ``text`` is ``[a-zA-Z0-9][a-zA-Z0-9_.-]*``, as Docker's container and
    network names are (checked by hand: ``re`` costs a short command ~7 ms to import)."""
    rest = text[1:].replace("_", "").replace(".", "").replace("-", "")
    first_ok = text[:1].isascii() and text[:1].isalnum()
    return first_ok and rest.isascii() and (rest.isalnum() or not rest)


def validate(name: str) -> str:
    """Docker's ``^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$``, with ``$`` as Python's ``re``
    read it when this was a regular expression: also just before a final newline."""
    body = name[1:] if name[:1] == "/" else name
    body = body[:-1] if body[-1:] == "\n" else body
    if len(body) < 2 or not is_docker_name(body):
        raise InvalidArgument(
            f"Invalid container name ({name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
        )
    return name.lstrip("/")


def random_name(attempt: int = 0) -> str:
    """``adjective_surname``; after a clash (``attempt`` > 0) with 0-99 after it. From
    os.urandom, as random.SystemRandom would pick, without importing random."""
    left, right, number = (int.from_bytes(os.urandom(4), "big") for _ in range(3))
    name = f"{_LEFT[left % len(_LEFT)]}_{_RIGHT[right % len(_RIGHT)]}"
    return f"{name}{number % 100}" if attempt else name
