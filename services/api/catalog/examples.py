"""A JSON example per event type that the API accepts as it is, for clients and the docs.

The local manifest's example (`schemas/`) is preferred when it exists and still fits the
registered schema; otherwise one is made from the schema itself: every required field gets
a plausible value of its type, optional fields are left out, and the fields the server owns
are never shown.
"""

from __future__ import annotations

import base64
import logging
import uuid
from pathlib import Path
from typing import Any

from contracts.conventions import CLIENT_OPTIONAL_FIELDS, SERVER_OWNED_FIELDS
from registry.client.avro.parse import record_tree
from registry.client.avro.types import Array, Enum, Fixed, Map, Primitive, Record, Union, Visitor
from registry.client.payload import PayloadError, to_datum
from services.api.catalog.event_types import EventType

log = logging.getLogger(__name__)


def manifest_examples(schemas_dir: Path) -> dict[str, dict[str, Any]]:
    """The examples of the local contracts by event type; empty if there are none."""
    if not (schemas_dir / "manifest.toml").is_file():
        return {}
    from contracts.loading import load_contracts
    from contracts.problems import ContractError

    try:
        return {c.event_type: c.example for c in load_contracts(schemas_dir)}
    except ContractError as exc:
        log.warning("no examples from %s: %s", schemas_dir, exc)
        return {}


def example_for(event_type: EventType, known: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The manifest's example if the registered schema accepts it, else a generated one."""
    candidate = known.get(event_type.name)
    if candidate is not None:
        try:
            to_datum(
                event_type.schema,
                candidate,
                server_owned=SERVER_OWNED_FIELDS,
                optional=CLIENT_OPTIONAL_FIELDS,
            )
            return candidate
        except PayloadError:
            log.info("the local example of %s does not fit its registered schema", event_type)
    return generate_example(event_type.avro)


def generate_example(avro: dict[str, Any]) -> dict[str, Any]:
    """A payload for the record `avro`, with every required field and no server field."""
    skipped = {*SERVER_OWNED_FIELDS, *CLIENT_OPTIONAL_FIELDS}
    example: dict[str, Any] = _Example().visit(record_tree(avro))
    return {name: value for name, value in example.items() if name not in skipped}


_PRIMITIVE_EXAMPLES: dict[str, Any] = {
    "string": "text",
    "int": 1,
    "long": 1,
    "float": 1.5,
    "double": 1.5,
    "boolean": True,
    "bytes": "AA==",
    "null": None,
}
_LOGICAL_EXAMPLES = {
    "timestamp-millis": "2026-11-27T20:15:00Z",
    "timestamp-micros": "2026-11-27T20:15:00Z",
    "date": "2026-11-27",
}


class _Example(Visitor[Any]):
    """A value of each type; a uuid is made from the name of the field that holds it."""

    def __init__(self) -> None:
        super().__init__()
        self.field = ""
        self.inside: set[str] = set()

    def again(self, node: Record | Enum | Fixed, result: Any) -> Any:
        # A record used again gets its own values (uuids follow the field's name).
        return self.record(node) if isinstance(node, Record) else result

    def recursive(self, node: Record | Enum | Fixed) -> Any:
        return None  # contracts are trees; a registered recursive type stops here

    def primitive(self, node: Primitive) -> Any:
        if node.logical == "uuid":
            return str(uuid.uuid5(uuid.NAMESPACE_URL, f"ugc:{self.field}"))
        return _LOGICAL_EXAMPLES.get(node.logical or "", _PRIMITIVE_EXAMPLES.get(node.type))

    def enum(self, node: Enum) -> Any:
        return node.symbols[0]

    def fixed(self, node: Fixed) -> Any:
        return base64.b64encode(bytes(node.size)).decode()

    def array(self, node: Array) -> Any:
        return [self.visit(node.items)]

    def map(self, node: Map) -> Any:
        return {"key": self.visit(node.values)}

    def union(self, node: Union) -> Any:
        return self.visit(node.non_null[0]) if node.non_null else None

    def record(self, node: Record) -> Any:
        if node.fullname in self.inside:
            return None
        self.inside.add(node.fullname)
        example = {}
        for field in node.fields:
            if not field.has_default:
                self.field = field.name
                example[field.name] = self.visit(field.type)
        self.inside.discard(node.fullname)
        return example
