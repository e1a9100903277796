"""The `_schemas` topic's record format, byte-compatible with Confluent Schema Registry.

Keys are compact JSON with a fixed field order, because log compaction compares them byte
for byte: a key written by us must equal the key Confluent would write for the same thing.

    SCHEMA          {"keytype":"SCHEMA","subject":s,"version":v,"magic":1}
                    value {"subject","version","id","schema","deleted"} (+schemaType, references)
                    null value: the version was permanently deleted
    CONFIG          {"keytype":"CONFIG","subject":s,"magic":0}  (global: no subject)
                    value {"compatibilityLevel": "FULL"}; null: the setting was removed
    MODE            {"keytype":"MODE","subject":s,"magic":0}    value {"mode": "READONLY"}
    DELETE_SUBJECT  {"keytype":"DELETE_SUBJECT","subject":s,"magic":0}
                    value {"subject": s, "version": v}: versions up to v are soft-deleted
    NOOP            {"keytype":"NOOP","magic":0}  a marker a writer uses to catch up

`decode` turns a raw record into one of the event dataclasses below; anything it cannot
read becomes `Unreadable`, which the state ignores (a registry must survive a foreign or
damaged record rather than refuse to start).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from registry.client.models import (
    CompatibilityLevel,
    Mode,
    SchemaId,
    SchemaReference,
    SchemaType,
    Subject,
    Version,
)


@dataclass(frozen=True)
class Record:
    """A raw record as written to or read from the topic."""

    key: bytes
    value: bytes | None


@dataclass(frozen=True)
class SchemaWritten:
    subject: Subject
    version: Version
    schema_id: SchemaId
    schema: str
    schema_type: SchemaType
    references: tuple[SchemaReference, ...]
    deleted: bool


@dataclass(frozen=True)
class SchemaErased:
    subject: Subject
    version: Version


@dataclass(frozen=True)
class ConfigSet:
    subject: Subject | None
    level: CompatibilityLevel | None


@dataclass(frozen=True)
class ModeSet:
    subject: Subject | None
    mode: Mode | None


@dataclass(frozen=True)
class SubjectDeleted:
    subject: Subject
    up_to: Version


@dataclass(frozen=True)
class Noop:
    pass


@dataclass(frozen=True)
class Unreadable:
    reason: str


StoreEvent = SchemaWritten | SchemaErased | ConfigSet | ModeSet | SubjectDeleted | Noop | Unreadable


def _dump(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def _subject_key(keytype: str, subject: Subject | None) -> bytes:
    key: dict[str, Any] = {"keytype": keytype}
    if subject is not None:
        key["subject"] = subject
    key["magic"] = 0
    return _dump(key)


def schema_fields(
    schema: str, schema_type: SchemaType, references: tuple[SchemaReference, ...]
) -> dict[str, Any]:
    """A schema as both the topic and the API write it: `schemaType` only when not Avro,
    `references` only when there are some."""
    fields: dict[str, Any] = {}
    if schema_type is not SchemaType.AVRO:
        fields["schemaType"] = schema_type.value
    if references:
        fields["references"] = [ref.to_json() for ref in references]
    fields["schema"] = schema
    return fields


def schema_key(subject: Subject, version: Version) -> bytes:
    return _dump({"keytype": "SCHEMA", "subject": subject, "version": version, "magic": 1})


def schema_record(event: SchemaWritten) -> Record:
    value: dict[str, Any] = {
        "subject": event.subject,
        "version": event.version,
        "id": event.schema_id,
        **schema_fields(event.schema, event.schema_type, event.references),
        "deleted": event.deleted,
    }
    return Record(schema_key(event.subject, event.version), _dump(value))


def erase_record(subject: Subject, version: Version) -> Record:
    return Record(schema_key(subject, version), None)


def config_record(subject: Subject | None, level: CompatibilityLevel | None) -> Record:
    value = None if level is None else _dump({"compatibilityLevel": level.value})
    return Record(_subject_key("CONFIG", subject), value)


def mode_record(subject: Subject | None, mode: Mode | None) -> Record:
    value = None if mode is None else _dump({"mode": mode.value})
    return Record(_subject_key("MODE", subject), value)


def delete_subject_record(subject: Subject, up_to: Version) -> Record:
    value = _dump({"subject": subject, "version": up_to})
    return Record(_subject_key("DELETE_SUBJECT", subject), value)


def noop_record() -> Record:
    return Record(_dump({"keytype": "NOOP", "magic": 0}), None)


def decode(record: Record) -> StoreEvent:
    """Read one raw record; never raises."""
    try:
        key = json.loads(record.key)
        value = None if record.value is None else json.loads(record.value)
        return _decode(key, value)
    except (ValueError, KeyError, TypeError) as exc:
        return Unreadable(f"{type(exc).__name__}: {exc}")


def _decode(key: dict[str, Any], value: dict[str, Any] | None) -> StoreEvent:
    keytype = key["keytype"]
    subject = Subject(key["subject"]) if "subject" in key else None
    if keytype == "SCHEMA":
        return _decode_schema(key, value)
    if keytype == "CONFIG":
        level = value and value.get("compatibilityLevel")
        return ConfigSet(subject, CompatibilityLevel.parse(level) if level else None)
    if keytype == "MODE":
        mode = value and value.get("mode")
        return ModeSet(subject, Mode.parse(mode) if mode else None)
    if keytype == "DELETE_SUBJECT" and value is not None and subject is not None:
        return SubjectDeleted(subject, Version(int(value["version"])))
    if keytype == "NOOP":
        return Noop()
    return Unreadable(f"key type {keytype!r} is not one this registry acts on")


def _decode_schema(key: dict[str, Any], value: dict[str, Any] | None) -> StoreEvent:
    if value is None:
        return SchemaErased(Subject(key["subject"]), Version(int(key["version"])))
    return SchemaWritten(
        subject=Subject(value["subject"]),
        version=Version(int(value["version"])),
        schema_id=SchemaId(int(value["id"])),
        schema=str(value["schema"]),
        schema_type=SchemaType(value.get("schemaType") or "AVRO"),
        references=tuple(
            SchemaReference(r["name"], Subject(r["subject"]), Version(int(r["version"])))
            for r in value.get("references") or ()
        ),
        deleted=bool(value.get("deleted", False)),
    )
