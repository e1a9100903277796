from __future__ import annotations

import pytest
from confluent_kafka import KafkaError

from services.api.errors import KafkaUnavailableError, ProduceRejectedError
from services.api.producer import translate


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (KafkaError._MSG_TIMED_OUT, KafkaUnavailableError),
        (KafkaError._ALL_BROKERS_DOWN, KafkaUnavailableError),
        (KafkaError._TRANSPORT, KafkaUnavailableError),
        (KafkaError.NOT_ENOUGH_REPLICAS, KafkaUnavailableError),
        (KafkaError.MSG_SIZE_TOO_LARGE, ProduceRejectedError),
        (KafkaError.TOPIC_AUTHORIZATION_FAILED, ProduceRejectedError),
    ],
)
def test_kafka_errors_are_translated_once_with_their_retriable_flag(
    code: int, expected: type[Exception]
) -> None:
    error = translate(KafkaError(code), retry_after=3)
    assert type(error) is expected
    assert error.retriable is (expected is KafkaUnavailableError)
