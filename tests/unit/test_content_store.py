import os
from pathlib import Path

import pytest

from portside.errors import DigestMismatch
from portside.store.content import ContentStore, sha256_digest


def test_blob_commit_is_verified_and_atomic(tmp_path: Path) -> None:
    store = ContentStore(str(tmp_path))
    data = b"hello"
    digest, new = store.put(data, sha256_digest(data))
    assert new and store.read(digest) == data
    assert store.put(data)[1] is False  # stored once
    with pytest.raises(DigestMismatch):
        store.put(b"other", sha256_digest(data))
    assert os.listdir(store.ingest_dir) == []  # the failed ingest is gone
    assert list(store.digests()) == [digest]
