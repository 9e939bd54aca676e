"""ids.Sha256 gives hashlib's digest at every size, and hashes up to a MiB without
loading hashlib (OpenSSL): a build of small files does not pay for it."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

import pytest

from portside.ids import Sha256, sha256_hex

LIMIT = 1 << 20


@pytest.mark.parametrize("size", [0, 1, 64, LIMIT - 1, LIMIT, LIMIT + 1, 3 * LIMIT + 7])
@pytest.mark.parametrize("chunk", [None, 1000, LIMIT])
def test_the_digest_is_hashlibs(size: int, chunk: int | None) -> None:
    data = os.urandom(size)
    if chunk is None:
        ours = Sha256(data)
    else:
        ours = Sha256()
        for at in range(0, size, chunk):
            ours.update(memoryview(data)[at : at + chunk])
    assert ours.hexdigest() == hashlib.sha256(data).hexdigest()


def test_short_texts() -> None:
    assert sha256_hex("é/x") == hashlib.sha256("é/x".encode()).hexdigest()


def test_a_mib_is_hashed_without_hashlib_and_more_with_it() -> None:
    probe = (
        "import sys; from portside.ids import Sha256\n"
        "h = Sha256(); h.update(b'x' * int(sys.argv[1])); h.hexdigest()\n"
        "print('hashlib' in sys.modules)\n"
    )
    for size, loaded in ((LIMIT, "False"), (LIMIT + 1, "True")):
        out = subprocess.run(
            [sys.executable, "-c", probe, str(size)], capture_output=True, text=True, check=True
        )
        assert out.stdout.strip() == loaded
