"""Request bodies: chunked or by length, decompressed, and never silently short."""

from __future__ import annotations

import gzip
import io

import lz4.frame
import pytest

from ugc.warehouse.body import Body
from ugc.warehouse.exceptions import ClickHouseError


def _chunked(*pieces: bytes) -> bytes:
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"


def test_chunked_body_is_joined_and_marked_consumed() -> None:
    body = Body(io.BytesIO(_chunked(b"ab", b"cde") + b"NEXT"), {"transfer-encoding": "chunked"})
    assert b"".join(body.chunks()) == b"abcde"
    assert body.consumed


@pytest.mark.parametrize(
    ("raw", "headers"),
    [
        (b"abc", {"content-length": "10"}),
        (b"5\r\nab", {"transfer-encoding": "chunked"}),
        (b"2\r\nab\r\n", {"transfer-encoding": "chunked"}),
    ],
)
def test_short_body_raises_cannot_read_all_data(raw: bytes, headers: dict[str, str]) -> None:
    with pytest.raises(ClickHouseError) as short:
        b"".join(Body(io.BytesIO(raw), headers).chunks())
    assert short.value.code == 33


@pytest.mark.parametrize(
    ("encoding", "packed"),
    [("gzip", gzip.compress(b"x" * 5000)), ("lz4", lz4.frame.compress(b"x" * 5000))],
)
def test_compressed_body_is_decompressed(encoding: str, packed: bytes) -> None:
    headers = {"content-length": str(len(packed)), "content-encoding": encoding}
    assert b"".join(Body(io.BytesIO(packed), headers).chunks()) == b"x" * 5000


def test_truncated_compressed_body_is_refused() -> None:
    packed = gzip.compress(b"x" * 5000)[:-8]
    headers = {"content-length": str(len(packed)), "content-encoding": "gzip"}
    with pytest.raises(ClickHouseError) as broken:
        b"".join(Body(io.BytesIO(packed), headers).chunks())
    assert broken.value.code == 271


def test_unknown_content_encoding_is_refused() -> None:
    with pytest.raises(ClickHouseError) as unknown:
        Body(io.BytesIO(b""), {"content-encoding": "snappy"})
    assert unknown.value.code == 89
