"""The Kafka store holds to the same store contract as the in-memory one."""

from collections.abc import Callable, Iterator

import pytest

from registry.server.kafka_store import KafkaStore
from registry.server.store import SchemaStore
from tests.contract.store_contract import StoreContract


class TestKafkaStoreContract(StoreContract):
    @pytest.fixture
    def store(
        self, kafka_bootstrap: str, unique_name: Callable[[str], str]
    ) -> Iterator[SchemaStore]:
        store = KafkaStore(kafka_bootstrap, unique_name("_schemas"), timeout=20.0)
        store.start()
        try:
            yield store
        finally:
            store.close()
