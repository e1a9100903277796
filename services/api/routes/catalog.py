"""GET /api/v1/event-types: what a client may send, with an example of each."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response

from services.api.catalog.event_types import EventCatalog, EventType
from services.api.catalog.examples import example_for
from services.api.http import answer


def describe(event_type: EventType, example: dict[str, Any]) -> dict[str, Any]:
    return {
        "event_type": event_type.name,
        "topic": event_type.topic,
        "subject": event_type.subject,
        "version": event_type.version,
        "schema_id": event_type.schema_id,
        "doc": event_type.avro.get("doc"),
        "endpoint": f"/api/v1/events/{event_type.name}",
        "example": example,
    }


def blueprint(catalog: EventCatalog, manifest_examples: dict[str, dict[str, Any]]) -> Blueprint:
    routes = Blueprint("catalog", __name__)

    @routes.get("/api/v1/event-types")
    def event_types() -> Response:
        types = catalog.snapshot().types
        listed = [
            describe(types[name], example_for(types[name], manifest_examples))
            for name in sorted(types)
        ]
        return answer({"event_types": listed})

    return routes
