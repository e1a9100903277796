"""The registry contract, run against the in-memory fake."""

from __future__ import annotations

import pytest

from registry.client.fake import InMemoryRegistry
from registry.client.protocol import SchemaRegistry
from tests.contract.registry_contract import RegistryContract


class TestInMemoryRegistryContract(RegistryContract):
    @pytest.fixture
    def registry(self) -> SchemaRegistry:
        return InMemoryRegistry()
