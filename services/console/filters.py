"""Message filters, evaluated server-side: a key substring, a value-text substring and a
field predicate over the decoded value.

The predicate language is small and parsed here by hand (nothing a user types is ever
evaluated as code)::

    expr       := or
    or         := and ("or" and)*
    and        := unary ("and" unary)*
    unary      := "not" unary | "(" expr ")" | comparison
    comparison := path op literal | path              (a bare path: the field is present
    op         := == | != | < | <= | > | >= | ~          and not null; ~ is "contains")
    path       := name ("." name)*
    literal    := number | "text" | 'text' | true | false | null

Examples: `rating >= 4 and context.platform == "web"`, `not (comment ~ "spoiler")`.
A field that is missing compares false (except with !=). Errors name the position.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeAlias

from services.console.errors import FilterSyntaxError

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<number>-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)
      | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      | (?P<op>==|!=|<=|>=|<|>|~|\(|\))
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
    )""",
    re.VERBOSE,
)
_KEYWORDS = {"and", "or", "not", "true", "false", "null"}
_COMPARISONS = {"==", "!=", "<", "<=", ">", ">=", "~"}
_MISSING = object()

Predicate: TypeAlias = Callable[[Any], bool]


@dataclass(frozen=True)
class _Token:
    kind: str  # number, string, op, name, keyword, end
    text: str
    position: int


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            start = len(text) - len(text[position:].lstrip())
            raise FilterSyntaxError(f"unexpected character {text[start]!r}", start)
        kind = match.lastgroup or "end"
        value = match.group(kind)
        start = match.start(kind)
        if kind == "name" and value in _KEYWORDS:
            kind = "keyword"
        tokens.append(_Token(kind, value, start))
        position = match.end()
    tokens.append(_Token("end", "", len(text)))
    return tokens


def _literal(token: _Token) -> Any:
    if token.kind == "number":
        return json.loads(token.text)
    if token.kind == "string":
        inner = token.text[1:-1]
        if token.text[0] == "'":
            inner = inner.replace('\\"', '"').replace('"', '\\"').replace("\\'", "'")
        try:
            return json.loads(f'"{inner}"')
        except ValueError:
            raise FilterSyntaxError("bad escape in text", token.position) from None
    if token.kind == "keyword" and token.text in ("true", "false", "null"):
        return {"true": True, "false": False, "null": None}[token.text]
    what = "the end" if token.kind == "end" else repr(token.text)
    raise FilterSyntaxError(
        f"expected a number, text, true, false or null, found {what}", token.position
    )


def lookup(value: Any, path: str) -> Any:
    """The field at a dotted path, or _MISSING."""
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return _MISSING
        value = value[part]
    return value


def _compare(op: str, left: Any, right: Any) -> bool:
    if left is _MISSING:
        return op == "!="
    if op == "==":
        return bool(left == right)
    if op == "!=":
        return bool(left != right)
    if op == "~":
        haystack = left if isinstance(left, str) else json.dumps(left)
        return str(right) in haystack
    numbers = (int, float)
    comparable = (isinstance(left, numbers) and isinstance(right, numbers)) or (
        isinstance(left, str) and isinstance(right, str)
    )
    if not comparable or isinstance(left, bool) or isinstance(right, bool):
        return False
    return bool(
        {
            "<": left < right,
            "<=": left <= right,
            ">": left > right,
            ">=": left >= right,
        }[op]
    )


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.index = 0

    def peek(self) -> _Token:
        return self.tokens[self.index]

    def take(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def parse(self) -> Predicate:
        predicate = self.disjunction()
        token = self.peek()
        if token.kind != "end":
            raise FilterSyntaxError(f"unexpected {token.text!r}", token.position)
        return predicate

    def disjunction(self) -> Predicate:
        parts = [self.conjunction()]
        while self.peek().kind == "keyword" and self.peek().text == "or":
            self.take()
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else (lambda v: any(p(v) for p in parts))

    def conjunction(self) -> Predicate:
        parts = [self.unary()]
        while self.peek().kind == "keyword" and self.peek().text == "and":
            self.take()
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else (lambda v: all(p(v) for p in parts))

    def unary(self) -> Predicate:
        token = self.take()
        if token.kind == "keyword" and token.text == "not":
            inner = self.unary()
            return lambda v: not inner(v)
        if token.kind == "op" and token.text == "(":
            inner = self.disjunction()
            closing = self.take()
            if closing.text != ")":
                raise FilterSyntaxError("expected ')'", closing.position)
            return inner
        if token.kind != "name":
            what = "the end" if token.kind == "end" else repr(token.text)
            raise FilterSyntaxError(f"expected a field name, found {what}", token.position)
        path = token.text
        if not (self.peek().kind == "op" and self.peek().text in _COMPARISONS):
            return lambda v: lookup(v, path) not in (_MISSING, None)
        op = self.take().text
        right = _literal(self.take())
        return lambda v: _compare(op, lookup(v, path), right)


def parse_predicate(text: str) -> Predicate:
    """The predicate an expression means; FilterSyntaxError says where it goes wrong."""
    if not text.strip():
        raise FilterSyntaxError("the expression is empty", 0)
    return _Parser(text).parse()


@dataclass(frozen=True)
class MessageFilter:
    """What a page of messages is filtered by; empty parts do not filter."""

    key: str = ""
    text: str = ""
    where: str = ""

    def __post_init__(self) -> None:
        if self.where.strip():
            parse_predicate(self.where)  # refuse a bad expression before anything is read

    @property
    def active(self) -> bool:
        return bool(self.key or self.text or self.where.strip())

    def matcher(self) -> Callable[[str, str, Any], bool]:
        """A test of (key text, value text, decoded value)."""
        predicate = parse_predicate(self.where) if self.where.strip() else None

        def matches(key: str, value_text: str, value: Any) -> bool:
            if self.key and self.key not in key:
                return False
            if self.text and self.text not in value_text:
                return False
            return predicate is None or (value is not None and predicate(value))

        return matches
