"""The in-memory store holds to the store contract."""

import pytest

from registry.server.store import MemoryStore, SchemaStore
from tests.contract.store_contract import StoreContract


class TestMemoryStoreContract(StoreContract):
    @pytest.fixture
    def store(self) -> SchemaStore:
        return MemoryStore()
