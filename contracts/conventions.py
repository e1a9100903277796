"""What every event type of the platform follows, spelled here only because the contracts,
the API and the ETL all go by it: its topic is `ugc.<event_type>` and its value subject
`ugc.<event_type>-value` (Confluent's TopicNameStrategy), event types are snake_case, every
event carries the `COMMON_FIELDS`, a new subject gets `DEFAULT_COMPATIBILITY`, and the
server, not the client, fills in `user_id` and `received_at` (a client may send `event_id`,
the idempotency key; the server makes one up when it does not)."""

from __future__ import annotations

import re

from registry.client.models import CompatibilityLevel, Subject

# Fields every event carries: the ETL keys rows and deduplicates on them.
COMMON_FIELDS = {
    "event_id": ("string", "uuid"),
    "user_id": ("string", "uuid"),
    "occurred_at": ("long", "timestamp-millis"),
    "received_at": ("long", "timestamp-millis"),
}
DEFAULT_COMPATIBILITY = CompatibilityLevel.BACKWARD_TRANSITIVE
SERVER_OWNED_FIELDS = ("user_id", "received_at")
CLIENT_OPTIONAL_FIELDS = ("event_id",)

TOPIC_PREFIX = "ugc."
EVENT_TYPE = re.compile(r"[a-z][a-z0-9_]*")
_VALUE_SUBJECT = re.compile(rf"{re.escape(TOPIC_PREFIX)}({EVENT_TYPE.pattern})-value")


def topic_of(event_type: str) -> str:
    return f"{TOPIC_PREFIX}{event_type}"


def subject_of(event_type: str) -> Subject:
    return Subject(f"{topic_of(event_type)}-value")


def event_type_of(subject: str) -> str | None:
    """`ugc.film_rating-value` -> `film_rating`; None for any other subject."""
    match = _VALUE_SUBJECT.fullmatch(subject)
    return match.group(1) if match else None
