"""Names checked by hand as the regular expressions they were checked with."""

from __future__ import annotations

import itertools
import re

import pytest

from portside.engine.names import is_docker_name, validate
from portside.errors import InvalidArgument

CONTAINER = re.compile(r"^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$")
NETWORK = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_.-]*")


def test_as_the_expressions() -> None:
    for n in range(5):
        for letters in itertools.product("aZ9_.-/\né ", repeat=n):
            text = "".join(letters)
            assert is_docker_name(text) == bool(NETWORK.fullmatch(text)), text
            if CONTAINER.match(text):
                assert validate(text) == text.lstrip("/")
            else:
                with pytest.raises(InvalidArgument):
                    validate(text)
