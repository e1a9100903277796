"""HTTP body compression as ClickHouse's HTTP interface does it, both ways.

Request bodies may carry `Content-Encoding` gzip, deflate, zstd, lz4 (frame), xz or bz2;
they are decompressed as they stream in (br and snappy are not supported: clickhouse-connect
offers br only when the brotli package is installed, which ugc does not install). Responses
are compressed only when the effective `enable_http_compression` setting is on and the
client's `Accept-Encoding` names a method, chosen in ClickHouse's order of preference
(zstd, lz4, gzip, deflate, xz, bz2). clickhouse-connect asks for compression by
default; on loopback it costs CPU for nothing, so `ugc.warehouse.connect` turns it off for
loopback servers (`compress=False`, the documented client option).
"""

from __future__ import annotations

import bz2
import lzma
import zlib
from collections.abc import Callable
from typing import Any, Protocol

import lz4.frame
from backports import zstd

from ugc.warehouse.exceptions import Code, raised


class Decoder(Protocol):
    def decompress(self, data: bytes) -> bytes: ...


class Encoder(Protocol):
    def compress(self, data: bytes) -> bytes: ...

    def flush(self) -> bytes: ...


class _Lz4Decoder:
    def __init__(self) -> None:
        self._inner = lz4.frame.LZ4FrameDecompressor()

    def decompress(self, data: bytes) -> bytes:
        out: bytes = self._inner.decompress(data)
        if self._inner.eof and self._inner.unused_data:
            # ClickHouse accepts concatenated frames; start the next one.
            rest = self._inner.unused_data
            self._inner = lz4.frame.LZ4FrameDecompressor()
            out += self.decompress(rest)
        return out

    @property
    def eof(self) -> bool:
        return bool(self._inner.eof)


_DECODERS: dict[str, Callable[[], Any]] = {
    "gzip": lambda: zlib.decompressobj(wbits=31),
    "x-gzip": lambda: zlib.decompressobj(wbits=31),
    "deflate": zlib.decompressobj,
    "zstd": zstd.ZstdDecompressor,
    "lz4": _Lz4Decoder,
    "xz": lzma.LZMADecompressor,
    "bz2": bz2.BZ2Decompressor,
}


def decoder(encoding: str) -> Decoder | None:
    """A streaming decompressor for a request's Content-Encoding (None for identity)."""
    name = encoding.strip().lower()
    if name in ("", "identity"):
        return None
    factory = _DECODERS.get(name)
    if factory is None:
        raise raised(Code.UNKNOWN_COMPRESSION_METHOD, f"Unknown compression method '{encoding}'")
    return factory()  # type: ignore[no-any-return]


def decode(decoder_: Decoder, data: bytes) -> bytes:
    try:
        return decoder_.decompress(data)
    except Exception as exc:
        raise raised(Code.CANNOT_DECOMPRESS, f"Cannot decompress the request body: {exc}") from exc


_PREFERENCE = ("zstd", "lz4", "gzip", "deflate", "xz", "bz2")


class _Lz4Encoder:
    def __init__(self) -> None:
        self._inner = lz4.frame.LZ4FrameCompressor()
        self._started = False

    def compress(self, data: bytes) -> bytes:
        head: bytes = b"" if self._started else self._inner.begin()
        self._started = True
        return head + self._inner.compress(data)  # type: ignore[no-any-return]

    def flush(self) -> bytes:
        head: bytes = b"" if self._started else self._inner.begin()
        self._started = True
        return head + self._inner.flush()  # type: ignore[no-any-return]


class _ZstdEncoder:
    def __init__(self, level: int) -> None:
        self._inner = zstd.ZstdCompressor(level=level)

    def compress(self, data: bytes) -> bytes:
        return self._inner.compress(data, mode=zstd.ZstdCompressor.FLUSH_BLOCK)

    def flush(self) -> bytes:
        return self._inner.flush()


def choose(accept_encoding: str) -> str | None:
    """The method ClickHouse would pick from an Accept-Encoding header."""
    offered = accept_encoding.lower()
    for name in _PREFERENCE:
        if name in offered:
            return name
    return None


def encoder(name: str, level: int = 3) -> Encoder:
    if name == "zstd":
        return _ZstdEncoder(level)
    if name == "lz4":
        return _Lz4Encoder()
    if name == "gzip":
        return zlib.compressobj(level, wbits=31)
    if name == "deflate":
        return zlib.compressobj(level)
    if name == "xz":
        return lzma.LZMACompressor()
    return bz2.BZ2Compressor()
