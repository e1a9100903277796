from __future__ import annotations

import json

import pytest

from contracts.conventions import event_type_of
from contracts.loading import Contract
from registry.client.fake import InMemoryRegistry
from registry.client.models import Subject
from services.api.catalog.event_types import EventCatalog
from services.api.catalog.examples import example_for, generate_example
from services.api.errors import UnknownEventTypeError
from services.api.validation import EventEncoder


@pytest.mark.parametrize(
    ("subject", "event_type"),
    [
        ("ugc.film_rating-value", "film_rating"),
        ("ugc.film_rating-key", None),
        ("other-value", None),
    ],
)
def test_only_event_value_subjects_are_event_types(subject: str, event_type: str | None) -> None:
    assert event_type_of(subject) == event_type


def test_a_newly_registered_contract_is_accepted_after_the_ttl(
    registry: InMemoryRegistry, contracts: list[Contract]
) -> None:
    now = [0.0]
    catalog = EventCatalog(registry, ttl=10.0, clock=lambda: now[0])
    with pytest.raises(UnknownEventTypeError):
        catalog.get("trailer_view")
    rating = contracts[1].parsed_schema
    registry.register(
        Subject("ugc.trailer_view-value"), json.dumps({**rating, "name": "TrailerView"})
    )
    with pytest.raises(UnknownEventTypeError):
        catalog.get("trailer_view")
    now[0] = 11.0
    assert catalog.get("trailer_view").topic == "ugc.trailer_view"


def test_a_new_version_is_picked_up_with_its_schema_id(
    registry: InMemoryRegistry, contracts: list[Contract]
) -> None:
    now = [0.0]
    catalog = EventCatalog(registry, ttl=1.0, clock=lambda: now[0])
    before = catalog.get("film_rating")
    schema = contracts[1].parsed_schema
    schema["fields"].append({"name": "comment", "type": ["null", "string"], "default": None})
    registry.register(Subject("ugc.film_rating-value"), json.dumps(schema))
    now[0] = 2.0
    after = catalog.get("film_rating")
    assert (after.version, after.schema_id != before.schema_id) == (before.version + 1, True)


def test_generated_examples_are_accepted_by_their_schema(
    registry: InMemoryRegistry, contracts: list[Contract]
) -> None:
    catalog = EventCatalog(registry)
    encoder = EventEncoder()
    for contract in contracts:
        event_type = catalog.get(contract.event_type)
        encoder.datum(event_type, generate_example(event_type.avro))
        assert example_for(event_type, {}) == generate_example(event_type.avro)
        assert example_for(event_type, {contract.event_type: contract.example}) == contract.example
