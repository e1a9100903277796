"""Producing a test message typed against the latest schema of a subject: the payload (from
the generated form or pasted JSON) is checked field by field against the schema
(`registry.client.payload.to_datum`), encoded with the subject's latest version and framed
with its id, then produced with acks=all to a topic that must already exist.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from registry.client.errors import RegistryError, SerializationError
from registry.client.models import RegisteredSchema, Subject
from registry.client.payload import PayloadError, to_datum
from registry.client.protocol import SchemaRegistry
from registry.client.serdes import AvroSerializer
from services.console.cluster import Cluster, Delivered
from services.console.errors import BadInputError
from services.console.schemas import from_registry


class PayloadProblemsError(BadInputError):
    """The payload does not fit the schema; `problems` names every field at fault."""

    def __init__(self, problems: list[dict[str, str]]) -> None:
        count = len(problems)
        super().__init__(f"{count} problem{'s' if count != 1 else ''} in the message")
        self.problems = problems


@dataclass(frozen=True)
class Produced:
    delivered: Delivered
    schema: RegisteredSchema


def parse_json_payload(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise PayloadProblemsError([{"path": "", "message": f"not JSON: {exc}"}]) from None


class ProduceService:
    def __init__(self, cluster: Cluster, registry: SchemaRegistry) -> None:
        self.cluster = cluster
        self.registry = registry

    def latest(self, subject: Subject) -> RegisteredSchema:
        try:
            return self.registry.get_latest(subject)
        except RegistryError as exc:
            raise from_registry(exc, f"reading the latest schema of {subject!r}") from exc

    def produce(self, topic: str, subject: Subject, payload: Any, key: str) -> Produced:
        self.cluster.topic(topic)  # an unknown topic is refused, never auto-created
        schema = self.latest(subject)
        try:
            datum = to_datum(schema.schema, payload)
        except PayloadError as exc:
            raise PayloadProblemsError([dict(item) for item in exc.errors]) from None
        except ValueError as exc:
            raise BadInputError(f"cannot produce with {subject!r}: {exc}") from exc
        serializer = AvroSerializer(self.registry, subject_name_strategy=lambda _: subject)
        try:
            value = serializer.serialize(topic, datum)
        except SerializationError as exc:
            raise PayloadProblemsError([{"path": "", "message": str(exc)}]) from exc
        except RegistryError as exc:
            raise from_registry(exc, f"encoding with {subject!r}") from exc
        delivered = self.cluster.produce(topic, value, key=key.encode() if key else None)
        return Produced(delivered, schema)
