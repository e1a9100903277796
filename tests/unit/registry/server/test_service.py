"""The service's parse cache and identity index hold only what the state holds: a write
batch prepares on a scratch copy whose ids may never be committed."""

from __future__ import annotations

import json

from registry.client.models import SchemaId, Subject
from registry.server.records import decode
from registry.server.service import RegistryService, SchemaRequest
from registry.server.state import RegistryState
from registry.server.store import MemoryStore, Prepare, T


class ScratchStore(MemoryStore):
    """While `scratch` is set, writes are prepared and applied there only: a batch whose
    transaction will fail."""

    def __init__(self) -> None:
        super().__init__()
        self.scratch: RegistryState | None = None

    def write(self, prepare: Prepare[T]) -> T:
        if self.scratch is None:
            return super().write(prepare)
        records, result = prepare(self.scratch)
        for record in records:
            self.scratch.apply(decode(record))
        return result


def request(field: str) -> SchemaRequest:
    fields = [{"name": field, "type": "string"}]
    return SchemaRequest(json.dumps({"type": "record", "name": "R", "fields": fields}))


def test_regression_an_id_from_a_failed_batch_never_stands_for_another_schema() -> None:
    store = ScratchStore()
    service = RegistryService(store)
    store.scratch = store.state.copy()
    assert service.register(Subject("a"), request("x")) == 1  # only on the scratch copy
    assert service.register(Subject("b"), request("x")) == 1  # indexes x under id 1
    store.scratch = None  # the batch's transaction failed
    assert service.register(Subject("c"), request("y")) == 1  # id 1 is y's in the log
    assert service.register(Subject("d"), request("x")) == SchemaId(2)
    assert service.register(Subject("c"), request("y")) == 1
    assert '"y"' in service.schema_by_id(1).schema
    assert '"x"' in service.schema_by_id(2).schema


def test_a_state_copy_takes_records_without_changing_the_original() -> None:
    store = MemoryStore()
    service = RegistryService(store)
    service.register(Subject("a"), request("x"))
    copy = store.state.copy()
    service.delete_subject(Subject("a"), permanent=False)
    assert not copy.subjects[Subject("a")][1].deleted
    assert store.state.subjects[Subject("a")][1].deleted
