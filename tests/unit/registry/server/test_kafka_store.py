"""The Kafka store's bookkeeping of applied offsets: the leader applies its own committed
records at once, and its reader, fetching the same offsets later, must not apply them a
second time (which would briefly show an older value again). No broker is involved: the
store is built but not started, and records are handed over as the reader would."""

from __future__ import annotations

from registry.client.models import CompatibilityLevel, SchemaId, SchemaType, Subject, Version
from registry.server.kafka_store import KafkaStore
from registry.server.records import Record, SchemaWritten, config_record, decode, schema_record


def registered(deleted: bool) -> Record:
    event = SchemaWritten(
        Subject("s"), Version(1), SchemaId(1), '"string"', SchemaType.AVRO, (), deleted=deleted
    )
    return schema_record(event)


def test_records_the_leader_applied_at_commit_are_not_applied_again_by_the_reader() -> None:
    store = KafkaStore("127.0.0.1:1", "_schemas")
    log = [
        registered(deleted=False),
        config_record(Subject("s"), CompatibilityLevel.FULL),
        registered(deleted=True),
    ]
    store._apply_committed([(0, log[0]), (1, log[1])])
    store._apply_committed([(3, log[2])])  # offset 2: the first transaction's marker
    assert store.position() == 4
    assert store._position == 5  # past the second transaction's marker: no lag shown
    assert store.state.subjects[Subject("s")][Version(1)].deleted
    store.state.configs.clear()  # so a second application would show
    for offset, record in zip([0, 1, 3], log, strict=True):  # the reader catches up
        store._apply_at(offset, decode(record))
    assert store.state.subjects[Subject("s")][Version(1)].deleted
    assert store.state.configs == {}
    assert store.position() == 4


def test_the_reader_applies_what_comes_after_the_leaders_own_records() -> None:
    store = KafkaStore("127.0.0.1:1", "_schemas")
    store._apply_committed([(0, registered(deleted=False))])
    store._apply_at(2, decode(config_record(None, CompatibilityLevel.NONE)))
    assert store.state.configs == {None: CompatibilityLevel.NONE}
    assert store.position() == 3
