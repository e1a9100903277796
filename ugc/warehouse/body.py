"""A request body as it streams in: de-chunked, held to its length, decompressed.

Nothing here buffers the whole body: `chunks()` yields pieces of at most `CHUNK` bytes
(after decompression, a piece may be larger by the compression ratio). A body that ends
before its `Content-Length`, before its last chunk, or inside a compressed frame raises
CANNOT_READ_ALL_DATA / CANNOT_DECOMPRESS, so an insert fed from it is cancelled instead of
committed with the rows that happened to arrive.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Protocol

from ugc.warehouse import compression
from ugc.warehouse.exceptions import ClickHouseError, Code, raised

CHUNK = 1 << 20
_MAX_LINE = 4096


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...

    def readline(self, size: int = -1, /) -> bytes: ...


class Body:
    """`headers` are keyed in lower case."""

    def __init__(self, rfile: Readable, headers: Mapping[str, str]) -> None:
        self._rfile = rfile
        self._chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        self._remaining = 0 if self._chunked else _content_length(headers)
        self._chunk_left = 0
        self._done = not self._chunked and self._remaining == 0
        self._decoder = compression.decoder(headers.get("content-encoding", ""))
        self.consumed = self._done

    def _read_raw(self) -> bytes:
        """The next piece of the raw (still compressed) body; b"" at its end."""
        if self._done:
            return b""
        if not self._chunked:
            data = self._rfile.read(min(self._remaining, CHUNK))
            if not data:
                raise _truncated("before its Content-Length")
            self._remaining -= len(data)
            self._done = self.consumed = self._remaining == 0
            return data
        if self._chunk_left == 0:
            self._chunk_left = self._next_chunk_size()
            if self._chunk_left == 0:
                self._done = self.consumed = True
                return b""
        data = self._rfile.read(min(self._chunk_left, CHUNK))
        if not data:
            raise _truncated("inside a chunk")
        self._chunk_left -= len(data)
        if self._chunk_left == 0 and self._rfile.readline(_MAX_LINE) not in (b"\r\n", b"\n"):
            raise raised(Code.CANNOT_READ_ALL_DATA, "Malformed chunked request body")
        return data

    def _next_chunk_size(self) -> int:
        line = self._rfile.readline(_MAX_LINE)
        if not line:
            raise _truncated("before its last chunk")
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise raised(
                Code.CANNOT_READ_ALL_DATA, "Malformed chunk size in request body"
            ) from None
        if size == 0:
            while self._rfile.readline(_MAX_LINE) not in (b"\r\n", b"\n", b""):
                pass  # trailers
        return size

    def chunks(self) -> Iterator[bytes]:
        """The decompressed body, piece by piece."""
        while True:
            raw = self._read_raw()
            if not raw:
                break
            data = compression.decode(self._decoder, raw) if self._decoder else raw
            if data:
                yield data
        if self._decoder is not None and not getattr(self._decoder, "eof", True):
            raise raised(Code.CANNOT_DECOMPRESS, "The compressed request body is truncated")

    def drain(self, limit: int = 64 * CHUNK) -> bool:
        """Read and drop what is left (up to `limit` bytes) so the connection can be reused."""
        dropped = 0
        try:
            while dropped < limit:
                raw = self._read_raw()
                if not raw:
                    return True
                dropped += len(raw)
        except (ClickHouseError, OSError):
            return False
        return False


def _content_length(headers: Mapping[str, str]) -> int:
    value = headers.get("content-length")
    if value is None:
        return 0
    try:
        length = int(value)
    except ValueError:
        raise raised(Code.BAD_ARGUMENTS, f"Invalid Content-Length '{value}'") from None
    if length < 0:
        raise raised(Code.BAD_ARGUMENTS, f"Invalid Content-Length '{value}'")
    return length


def _truncated(where: str) -> ClickHouseError:
    return raised(Code.CANNOT_READ_ALL_DATA, f"The request body ended {where}")
