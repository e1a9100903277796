from __future__ import annotations

import pytest
from confluent_kafka import KafkaError, KafkaException

from services.console.cluster import GroupOffset, translate
from services.console.errors import (
    BadInputError,
    ConflictError,
    ConsoleError,
    KafkaUnavailableError,
    NotFoundError,
)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (KafkaError.UNKNOWN_TOPIC_OR_PART, NotFoundError),
        (KafkaError.GROUP_ID_NOT_FOUND, NotFoundError),
        (KafkaError.TOPIC_ALREADY_EXISTS, ConflictError),
        (KafkaError.NON_EMPTY_GROUP, ConflictError),
        (KafkaError.INVALID_CONFIG, BadInputError),
        (KafkaError.MSG_SIZE_TOO_LARGE, BadInputError),
        (KafkaError._TRANSPORT, KafkaUnavailableError),
        (KafkaError._TIMED_OUT, KafkaUnavailableError),
    ],
)
def test_kafka_errors_are_translated_once_by_their_code(
    code: int, expected: type[ConsoleError]
) -> None:
    error = translate(KafkaException(KafkaError(code, "what the broker said")), "doing it")
    assert type(error) is expected
    assert str(error).startswith("doing it: ")


def test_lag_is_the_distance_to_the_end_and_unknown_without_a_commit() -> None:
    assert GroupOffset("t", 0, 3, 10).lag == 7
    assert GroupOffset("t", 0, None, 10).lag is None
    assert GroupOffset("t", 0, 12, 10).lag == 0
