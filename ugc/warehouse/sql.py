"""Just enough of ClickHouse's SQL lexer to route an HTTP request, never to rewrite a query.

The HTTP interface must know, before chdb parses anything, whether a request is an
`INSERT` whose data follows in the body (and in which format, from where), which output
format a query asks for (its `FORMAT` clause, for `X-ClickHouse-Format`), and whether it is
a `SET`/`USE` that changes session state. Tokens are read at parenthesis depth 0, skipping
comments, string literals and quoted identifiers; reading stops at an insert's data, so
binary data after `FORMAT <name>` is never lexed. Where the data starts follows
ClickHouse's ParserInsertQuery: after the first newline following the format name, if the
rest of that line is blank, otherwise after the whitespace.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass

_WORD = re.compile(rb"[A-Za-z_][A-Za-z0-9_$]*|[0-9][A-Za-z0-9_.+-]*")
_SPACE = re.compile(rb"[ \t\r\n\f\v]+")


@dataclass(frozen=True)
class Token:
    text: bytes
    start: int
    end: int
    depth: int

    @property
    def keyword(self) -> str:
        return self.text.upper().decode("ascii", "replace")


class UnterminatedError(ValueError):
    """The text ends inside a string literal, quoted identifier or comment."""


def tokens(sql: bytes) -> Iterator[Token]:
    """The significant tokens of `sql` (no whitespace or comments), with their depth."""
    pos, depth, size = 0, 0, len(sql)
    while pos < size:
        char = sql[pos : pos + 1]
        if (space := _SPACE.match(sql, pos)) is not None:
            pos = space.end()
        elif sql.startswith(b"--", pos) or char == b"#":
            end = sql.find(b"\n", pos)
            pos = size if end < 0 else end + 1
        elif sql.startswith(b"/*", pos):
            end = sql.find(b"*/", pos + 2)
            if end < 0:
                raise UnterminatedError("comment")
            pos = end + 2
        elif char in (b"'", b'"', b"`"):
            end = _quoted_end(sql, pos)
            yield Token(sql[pos:end], pos, end, depth)
            pos = end
        elif (word := _WORD.match(sql, pos)) is not None:
            yield Token(word.group(), pos, word.end(), depth)
            pos = word.end()
        else:
            if char in (b")", b"]"):
                depth = max(depth - 1, 0)
            yield Token(char, pos, pos + 1, depth)
            if char in (b"(", b"["):
                depth += 1
            pos += 1


def _quoted_end(sql: bytes, start: int) -> int:
    quote = sql[start]
    pos = start + 1
    while pos < len(sql):
        byte = sql[pos]
        if byte == 0x5C:  # backslash escapes the next byte
            pos += 2
            continue
        if byte == quote:
            if sql[pos + 1 : pos + 2] == bytes([quote]):  # doubled quote
                pos += 2
                continue
            return pos + 1
        pos += 1
    raise UnterminatedError("quoted text")


@dataclass(frozen=True)
class InsertData:
    """An INSERT whose rows follow the statement: `statement` + data from `data_start`."""

    statement: bytes
    format: str
    data_start: int


@dataclass(frozen=True)
class Statement:
    """What routing needs to know about one statement."""

    kind: str  # the first keyword, upper case ("SELECT", "INSERT", "SET", …; "INSERT SELECT")
    output_format: str | None  # a trailing FORMAT clause of a non-INSERT
    insert: InsertData | None  # an INSERT whose data follows the statement
    outfile: bool  # INTO OUTFILE / FROM INFILE: client-side clauses, refused by a server
    multiple: bool  # more than one statement


def analyse(sql: bytes) -> Statement:
    """Classify `sql`; for an INSERT, stop at the start of its data."""
    toks: list[Token] = []
    kind = ""
    try:
        for token in tokens(sql):
            if not kind:
                kind = token.keyword
            if kind == "INSERT" and token.depth == 0 and token.keyword in ("SELECT", "WITH"):
                kind = "INSERT SELECT"  # its rows come from the query, not the body
            if kind == "INSERT" and token.depth == 0:
                insert = _insert_data(sql, toks, token)
                if insert is not None:
                    return Statement(kind, None, insert, _has_outfile(toks), False)
            toks.append(token)
    except UnterminatedError:
        pass  # chdb reports the syntax error with its position
    multiple = any(t.text == b";" and t.depth == 0 for t in toks[:-1])
    return Statement(kind, _output_format(toks), None, _has_outfile(toks), multiple)


def _insert_data(sql: bytes, seen: list[Token], token: Token) -> InsertData | None:
    previous = seen[-1].keyword if seen else ""
    if token.keyword == "VALUES" and previous != "FORMAT":
        return InsertData(sql[: token.start].rstrip(), "Values", token.end)
    if previous == "FORMAT" and _WORD.fullmatch(token.text):
        return InsertData(
            sql[: seen[-1].start].rstrip(), token.text.decode(), _data_start(sql, token.end)
        )
    return None


def _data_start(sql: bytes, pos: int) -> int:
    """ClickHouse: data starts after the first newline if only blanks precede it."""
    scan = pos
    while scan < len(sql) and sql[scan : scan + 1] in (b" ", b"\t", b"\f"):
        scan += 1
    if sql[scan : scan + 1] == b"\r":
        scan += 1
    if sql[scan : scan + 1] == b"\n":
        return scan + 1
    return scan


def _output_format(toks: list[Token]) -> str | None:
    """The name after a top-level FORMAT keyword that ends the query (before SETTINGS/;)."""
    for index, token in enumerate(toks[:-1]):
        if token.depth or token.keyword != "FORMAT":
            continue
        name = toks[index + 1]
        after = toks[index + 2].keyword if index + 2 < len(toks) else ""
        if _WORD.fullmatch(name.text) and after in ("", ";", "SETTINGS"):
            return name.text.decode()
    return None


def _has_outfile(toks: list[Token]) -> bool:
    pairs = itertools.pairwise(toks)
    return any(
        (a.keyword, b.keyword) in (("INTO", "OUTFILE"), ("FROM", "INFILE"))
        for a, b in pairs
        if a.depth == 0
    )
