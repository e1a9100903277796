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
from collections.abc import Callable
from pathlib import Path
from typing import Any

from contracts.conventions import CLIENT_OPTIONAL_FIELDS, SERVER_OWNED_FIELDS
from registry.client.payload import PayloadError, to_datum
from services.api.catalog.event_types import EventType

log = logging.getLogger(__name__)

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
    named: dict[str, Any] = {}
    skipped = {*SERVER_OWNED_FIELDS, *CLIENT_OPTIONAL_FIELDS}
    return {
        spec["name"]: _value(spec["type"], named, spec["name"])
        for spec in _fields(avro, named)
        if spec["name"] not in skipped and "default" not in spec
    }


def _fields(record: dict[str, Any], named: dict[str, Any]) -> list[dict[str, Any]]:
    named[record["name"]] = record
    if record.get("namespace"):
        named[f"{record['namespace']}.{record['name']}"] = record
    fields: list[dict[str, Any]] = record.get("fields", [])
    return fields


def _value(avro: Any, named: dict[str, Any], name: str) -> Any:
    if isinstance(avro, list):
        branches = [branch for branch in avro if branch != "null"]
        return _value(branches[0], named, name) if branches else None
    if isinstance(avro, str):
        if avro in _PRIMITIVE_EXAMPLES:
            return _PRIMITIVE_EXAMPLES[avro]
        found = named.get(avro) or named.get(avro.rpartition(".")[2])
        return _value(found, named, name) if found is not None else None
    return _complex(avro, named, name)


_LOGICAL_EXAMPLES = {
    "timestamp-millis": "2026-11-27T20:15:00Z",
    "timestamp-micros": "2026-11-27T20:15:00Z",
    "date": "2026-11-27",
}


def _complex(avro: dict[str, Any], named: dict[str, Any], name: str) -> Any:
    kind, logical = avro.get("type"), avro.get("logicalType")
    if logical == "uuid":
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"ugc:{name}"))
    if logical in _LOGICAL_EXAMPLES:
        return _LOGICAL_EXAMPLES[logical]
    if kind in ("enum", "fixed"):
        named[avro["name"]] = avro
        if kind == "enum":
            return avro["symbols"][0]
        return base64.b64encode(bytes(int(avro["size"]))).decode()
    makers: dict[str, Callable[[], Any]] = {
        "record": lambda: {
            spec["name"]: _value(spec["type"], named, spec["name"])
            for spec in _fields(avro, named)
            if "default" not in spec
        },
        "array": lambda: [_value(avro["items"], named, name)],
        "map": lambda: {"key": _value(avro["values"], named, name)},
    }
    maker = makers.get(str(kind))
    return maker() if maker is not None else _value(kind, named, name)
