"""A small event contract for the ETL tests, in the versions the evolution test walks
through, and records that fit it."""

from __future__ import annotations

import datetime
import json
import uuid
from typing import Any

NOW = datetime.datetime(2026, 11, 30, 12, 0, tzinfo=datetime.UTC)


def schema(
    *,
    score: str = "int",
    symbols: tuple[str, ...] = ("web", "ios", "unknown"),
    comment: bool = True,
    device: bool = False,
) -> str:
    fields: list[dict[str, Any]] = [
        {"name": "event_id", "type": {"type": "string", "logicalType": "uuid"}},
        {"name": "user_id", "type": {"type": "string", "logicalType": "uuid"}},
        {"name": "occurred_at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {
            "name": "context",
            "type": {
                "type": "record",
                "name": "Context",
                "fields": [
                    {"name": "app", "type": "string"},
                    {
                        "name": "platform",
                        "type": {
                            "type": "enum",
                            "name": "Platform",
                            "symbols": list(symbols),
                            "default": "unknown",
                        },
                        "default": "unknown",
                    },
                ],
            },
        },
        {"name": "film_id", "type": {"type": "string", "logicalType": "uuid"}},
        {"name": "score", "type": score},
    ]
    if comment:
        fields.append({"name": "comment", "type": "string", "default": ""})
    if device:
        fields.append({"name": "device", "type": ["null", "string"], "default": None})
    return json.dumps({"type": "record", "name": "Rating", "namespace": "t", "fields": fields})


def record(n: int, **extra: Any) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "user_id": str(uuid.uuid4()),
        "occurred_at": NOW,
        "context": {"app": "web-app", "platform": extra.pop("platform", "web")},
        "film_id": "3f2b8c1e-7d4a-4e6b-9c1f-2a5d8e7b6c40",
        "score": n,
        **extra,
    }
