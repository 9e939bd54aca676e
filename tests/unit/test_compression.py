import gzip
import io
import os
import subprocess

from portside.image.compression import decompressed
from portside.image.gzip_blocks import BLOCK, gzip_stream


def _gzip_blocks(data: bytes) -> bytes:
    out = io.BytesIO()
    gzip_stream(io.BytesIO(data), out.write, workers=3)
    return out.getvalue()


def test_several_gzip_members_in_one_read_all_come_out() -> None:
    # three small members arrive in one chunk of the underlying stream
    parts = [b"first member\n", b"second\n", b"third and last\n"]
    joined = b"".join(gzip.compress(p, mtime=0) for p in parts)
    stream, kind = decompressed(io.BufferedReader(io.BytesIO(joined)))  # type: ignore[arg-type]
    assert kind == "gzip"
    assert stream.read() == b"".join(parts)


def test_block_gzip_round_trips_through_gzip_readers_and_is_deterministic() -> None:
    text = b"".join(b"line %d of a text layer\n" % i for i in range(200_000))
    noise = os.urandom(BLOCK + 12345)
    data = text + noise + text[:1000]
    packed = _gzip_blocks(data)
    assert packed == _gzip_blocks(data)  # same layer, same digest
    assert gzip.decompress(packed) == data  # Python's reader
    assert (
        subprocess.run(["gzip", "-dc"], input=packed, capture_output=True, check=True).stdout
        == data
    )  # GNU gzip's
    stream, _ = decompressed(io.BufferedReader(io.BytesIO(packed)))  # type: ignore[arg-type]
    assert stream.read() == data  # ours
    # text shrinks; the random block is stored, barely larger than itself
    assert len(packed) < len(data) - len(text) // 2
    assert len(packed) > len(noise)


def test_an_empty_layer_is_still_valid_gzip() -> None:
    packed = _gzip_blocks(b"")
    assert packed and gzip.decompress(packed) == b""


def test_a_thousandfold_expansion_is_read_in_bounded_memory() -> None:
    import bz2
    import lzma
    import tracemalloc

    zeros = bytes(32 << 20)
    for packed in (gzip.compress(zeros, 1), bz2.compress(zeros, 1), lzma.compress(zeros)):
        stream, _ = decompressed(io.BufferedReader(io.BytesIO(packed)))  # type: ignore[arg-type]
        tracemalloc.start()
        total = 0
        while chunk := stream.read(1 << 20):
            total += len(chunk)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert total == len(zeros)
        # xz's decoder alone allocates its 8 MiB dictionary; nothing grows with the data
        assert peak < 16 << 20, f"{peak >> 20} MiB held to read {len(packed)} compressed bytes"


def test_bzip2_and_xz_streams_may_hold_several_members() -> None:
    import bz2
    import lzma

    for compress in (bz2.compress, lzma.compress):
        joined = compress(b"one\n") + compress(b"two\n")
        stream, _ = decompressed(io.BufferedReader(io.BytesIO(joined)))  # type: ignore[arg-type]
        assert stream.read() == b"one\ntwo\n"


def test_a_truncated_stream_is_an_invalid_archive() -> None:
    import pytest

    from portside.errors import InvalidArchive

    packed = gzip.compress(os.urandom(100_000))
    stream, _ = decompressed(io.BufferedReader(io.BytesIO(packed[:-1000])))  # type: ignore[arg-type]
    with pytest.raises(InvalidArchive, match="truncated"):
        stream.read()
