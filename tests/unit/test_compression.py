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
