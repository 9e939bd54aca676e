"""Container names: Docker's validation, and random ``adjective_name`` names."""

from __future__ import annotations

import re

from ..errors import InvalidArgument

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    import random

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


def random_name(rng: random.Random | None = None, attempt: int = 0) -> str:
    import random  # here: most commands never name a container

    r = rng or random.SystemRandom()
    name = f"{r.choice(_LEFT)}_{r.choice(_RIGHT)}"
    return f"{name}{r.randint(0, 99)}" if attempt else name
