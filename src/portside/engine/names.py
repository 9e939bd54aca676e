"""Container names: Docker's validation, and random ``adjective_name`` names."""

from __future__ import annotations

import os
import re

from ..errors import InvalidArgument

_VALID = re.compile(r"^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$")

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


def validate(name: str) -> str:
    if not _VALID.match(name):
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
