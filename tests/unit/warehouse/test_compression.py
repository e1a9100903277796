"""Compression both ways: what the server sends, its own decoders (and the client's) read."""

from __future__ import annotations

import pytest

from ugc.warehouse.compression import choose, decode, decoder, encoder

METHODS = ["zstd", "lz4", "gzip", "deflate", "xz", "bz2"]


@pytest.mark.parametrize("method", METHODS)
def test_streamed_response_compression_round_trips(method: str) -> None:
    pack = encoder(method)
    blocks = [b"block %d " % i * 1000 for i in range(5)]
    packed = b"".join(pack.compress(block) for block in blocks) + pack.flush()
    unpack = decoder(method)
    assert unpack is not None
    assert decode(unpack, packed) == b"".join(blocks)


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        ("lz4,zstd,gzip,deflate", "zstd"),  # clickhouse-connect's offer
        ("gzip, deflate", "gzip"),  # curl --compressed
        ("lz4", "lz4"),
        ("identity", None),
        ("", None),
    ],
)
def test_method_is_chosen_in_clickhouses_order_of_preference(
    accept: str, chosen: str | None
) -> None:
    assert choose(accept) == chosen
