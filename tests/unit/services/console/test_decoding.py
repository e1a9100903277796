from __future__ import annotations

import json

import pytest

from registry.client import wire
from registry.client.errors import RegistryUnavailableError
from registry.client.fake import InMemoryRegistry
from registry.client.models import SchemaId
from registry.client.serdes import AvroSerializer
from services.console.decoding import MessageDecoder
from tests.unit.services.console.conftest import RATING_V2, SUBJECT, TOPIC

EVENT = {"event_id": "00000000-0000-4000-8000-000000000001", "score": 4}


def _encoded(registry: InMemoryRegistry) -> bytes:
    return AvroSerializer(registry).serialize(TOPIC, EVENT)


def test_a_value_decodes_with_its_writer_subject_and_version(registry: InMemoryRegistry) -> None:
    decoded = MessageDecoder(registry).decode(_encoded(registry))
    assert decoded.ok
    assert decoded.value == {**EVENT, "comment": None}
    assert decoded.writer is not None
    assert (decoded.writer.subject, decoded.writer.version) == (SUBJECT, 1)
    assert decoded.writer.is_latest
    assert decoded.writer.changes_since == ()


def test_an_older_writer_says_what_the_latest_version_changed(registry: InMemoryRegistry) -> None:
    value = _encoded(registry)
    registry.register(SUBJECT, json.dumps(RATING_V2))
    writer = MessageDecoder(registry).decode(value).writer
    assert writer is not None
    assert (writer.version, writer.latest_version, writer.is_latest) == (1, 2, False)
    assert [str(change) for change in writer.changes_since] == [
        'added source: string (default "web")'
    ]


@pytest.mark.parametrize(
    ("value", "failure", "reason"),
    [
        (None, "tombstone", "no value: a tombstone"),
        (b"", "wire", "empty value: 0 bytes"),
        (
            b'{"score": 4}',
            "wire",
            "no magic byte: magic byte 0x7b is not 0: not Confluent-framed (JSON?)",
        ),
        (b"\x00\x00\x01", "wire", "truncated header: 3 bytes, and a Confluent frame needs 5"),
        (
            wire.frame(SchemaId(4242), b"\x02"),
            "unknown_schema",
            "unknown schema id 4242: the registry has no schema",
        ),
    ],
)
def test_an_undecodable_value_gets_a_precise_reason(
    registry: InMemoryRegistry, value: bytes | None, failure: str, reason: str
) -> None:
    decoded = MessageDecoder(registry).decode(value)
    assert not decoded.ok
    assert decoded.failure == failure
    assert decoded.reason is not None and decoded.reason.startswith(reason)


def test_a_body_cut_short_is_called_truncated(registry: InMemoryRegistry) -> None:
    value = _encoded(registry)
    for cut in (1, 5, 20):
        decoded = MessageDecoder(registry).decode(value[:-cut])
        assert decoded.failure == "bad_body"
        assert decoded.reason is not None
        assert decoded.reason.startswith(
            "truncated body: ugc.rating-value v1 (id 1) needs more than"
        )


def test_bytes_left_over_mean_another_schema_wrote_it(registry: InMemoryRegistry) -> None:
    decoded = MessageDecoder(registry).decode(_encoded(registry) + b"\x02\x04")
    assert decoded.failure == "bad_body"
    assert decoded.reason is not None
    assert decoded.reason.startswith("2 bytes left over after decoding with ugc.rating-value v1")


class _DownRegistry(InMemoryRegistry):
    def get_schema(self, schema_id: SchemaId) -> str:
        raise RegistryUnavailableError("connection refused")


def test_a_registry_that_does_not_answer_is_a_reason_on_the_message_not_an_error() -> None:
    decoded = MessageDecoder(_DownRegistry()).decode(wire.frame(SchemaId(7), b"\x02"))
    assert decoded.failure == "registry_unavailable"
    assert decoded.reason is not None
    assert decoded.reason.startswith("the registry cannot be reached to fetch schema id 7")
