"""The behaviour every `SchemaStore` must share: the in-memory store of the unit tests and
the Kafka store of production. Subclass `StoreContract` as `Test…` with a `store` fixture
that yields a started, empty store."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from registry.client.models import CompatibilityLevel, SchemaId, SchemaType, Subject, Version
from registry.server.records import (
    Record,
    SchemaWritten,
    config_record,
    erase_record,
    schema_record,
)
from registry.server.state import RegistryState
from registry.server.store import SchemaStore


def written(subject: str, version: int, schema_id: int, deleted: bool = False) -> Record:
    event = SchemaWritten(
        Subject(subject),
        Version(version),
        SchemaId(schema_id),
        f'"s{schema_id}"',
        SchemaType.AVRO,
        (),
        deleted,
    )
    return schema_record(event)


class StoreContract:
    def test_a_write_is_visible_to_readers_when_write_returns(self, store: SchemaStore) -> None:
        def prepare(state: RegistryState) -> tuple[Sequence[Record], str]:
            assert state.max_id == 0
            return [written("s", 1, 1), config_record(Subject("s"), CompatibilityLevel.FULL)], "ok"

        assert store.write(prepare) == "ok"
        with store.reading() as state:
            assert state.schemas[SchemaId(1)].schema == '"s1"'
            assert [v.version for v in state.live_versions(Subject("s"))] == [1]
            assert state.configs[Subject("s")] is CompatibilityLevel.FULL

    def test_prepare_sees_every_earlier_write(self, store: SchemaStore) -> None:
        for i in range(1, 4):
            store.write(lambda state, i=i: ([written("s", i, state.max_id + 1)], None))
        with store.reading() as state:
            assert state.max_id == 3
            assert state.next_version(Subject("s")) == 4

    def test_a_refused_write_appends_nothing(self, store: SchemaStore) -> None:
        def refuse(state: RegistryState) -> tuple[Sequence[Record], None]:
            raise ValueError("refused")

        with pytest.raises(ValueError, match="refused"):
            store.write(refuse)
        store.write(lambda state: ([written("s", 1, 1)], None))
        with store.reading() as state:
            assert list(state.schemas) == [SchemaId(1)]

    def test_tombstones_and_soft_deletes_apply(self, store: SchemaStore) -> None:
        store.write(lambda state: ([written("s", 1, 1), written("s", 2, 2)], None))
        store.write(lambda state: ([written("s", 2, 2, deleted=True)], None))
        with store.reading() as state:
            assert [v.version for v in state.live_versions(Subject("s"))] == [1]
            assert [v.version for v in state.all_versions(Subject("s"))] == [1, 2]
        store.write(lambda state: ([erase_record(Subject("s"), Version(2))], None))
        with store.reading() as state:
            assert [v.version for v in state.all_versions(Subject("s"))] == [1]
            assert SchemaId(2) not in state.schemas

    def test_an_empty_write_returns_its_result(self, store: SchemaStore) -> None:
        assert store.write(lambda state: ([], 7)) == 7
        assert store.health().ready
