"""Writing ClickHouse's HTTP responses: headers, chunked streams, errors, compression.

A streamed result is sent with chunked transfer encoding as chdb produces its blocks. Once
the 200 and its headers are out, a failure can no longer change the status; ClickHouse
then writes an exception block tagged with the `X-ClickHouse-Exception-Tag` sent in the
headers (`__exception__\\r\\n<tag>\\r\\n<message>\\n<length> <tag>\\r\\n__exception__\\r\\n`),
which clickhouse-connect detects and raises, and closes the connection; so does this.
"""

from __future__ import annotations

import json
import secrets
import string
from collections.abc import Iterable
from typing import BinaryIO

from ugc.warehouse.compression import Encoder
from ugc.warehouse.exceptions import ClickHouseError

_TAG_ALPHABET = string.ascii_lowercase


def new_exception_tag() -> str:
    return "".join(secrets.choice(_TAG_ALPHABET) for _ in range(16))


def exception_block(error: ClickHouseError, tag: str) -> bytes:
    message = error.body().rstrip("\n").encode()
    return (
        b"\r\n__exception__\r\n"
        + tag.encode()
        + b"\r\n"
        + message
        + b"\n"
        + f"{len(message)} {tag}".encode()
        + b"\r\n__exception__\r\n"
    )


def content_type(fmt: str) -> str:
    if (fmt.startswith("JSON") and "EachRow" in fmt) or fmt in ("NDJSON", "JSONLines"):
        return "application/x-ndjson; charset=UTF-8"
    if fmt.startswith("JSON"):
        return "application/json; charset=UTF-8"
    if fmt.startswith(("TabSeparated", "TSV")):
        return "text/tab-separated-values; charset=UTF-8"
    if fmt.startswith("CSV"):
        header = "present" if "WithNames" in fmt else "absent"
        return f"text/csv; charset=UTF-8; header={header}"
    if fmt.startswith(("Pretty", "Vertical", "Markdown", "Values")):
        return "text/plain; charset=UTF-8"
    return "application/octet-stream"


def summary_header(summary: dict[str, str]) -> str:
    return json.dumps(summary, separators=(",", ":"))


class ChunkedWriter:
    """Writes an HTTP/1.1 chunked body, through an optional compressor."""

    def __init__(self, wfile: BinaryIO, encoder: Encoder | None) -> None:
        self._wfile = wfile
        self._encoder = encoder

    def write(self, data: bytes) -> None:
        if self._encoder is not None:
            data = self._encoder.compress(data)
        if data:
            self._wfile.write(b"%x\r\n" % len(data) + data + b"\r\n")

    def finish(self) -> None:
        if self._encoder is not None:
            tail = self._encoder.flush()
            if tail:
                self._wfile.write(b"%x\r\n" % len(tail) + tail + b"\r\n")
        self._wfile.write(b"0\r\n\r\n")
        self._wfile.flush()


def compress_all(blocks: Iterable[bytes], encoder: Encoder | None) -> Iterable[bytes]:
    if encoder is None:
        yield from blocks
        return
    for block in blocks:
        data = encoder.compress(block)
        if data:
            yield data
    yield encoder.flush()
