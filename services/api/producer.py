"""Writing framed events to Kafka, and the only place that sees confluent-kafka's errors.

`EventProducer` is what the API needs: `send` a batch of messages and get back where each
landed, only after Kafka acknowledged it (acks=all, idempotent producer), or an error from
`services.api.errors` with its retriable flag decided here. `KafkaEventProducer` runs one
librdkafka producer per process with a dedicated poller that serves delivery reports, and
one lock per `send` that the request waits on — so many concurrent requests share one
producer without polling it themselves.

Under gunicorn's gevent worker (threading monkey-patched) the poller is a greenlet in the
requests' own OS thread: it never blocks in librdkafka, it polls without waiting every
`_TICK` while messages are in flight, and sleeps while none are; calls that must block
(metadata for /readyz) go to gevent's thread pool.

A fatal producer error (the idempotence guarantees can no longer be kept) retires that
librdkafka handle; the next `send` builds a fresh one.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from confluent_kafka import KafkaError, KafkaException, Message, Producer

from services.api.errors import (
    ApiError,
    KafkaUnavailableError,
    ProduceRejectedError,
    QueueFullError,
)

log = logging.getLogger(__name__)

# Errors that mean "Kafka cannot take it now", though librdkafka does not flag them retriable.
_UNAVAILABLE = frozenset(
    {
        KafkaError._MSG_TIMED_OUT,
        KafkaError._TIMED_OUT,
        KafkaError._TRANSPORT,
        KafkaError._ALL_BROKERS_DOWN,
        KafkaError._FATAL,
        KafkaError._DESTROY,
        KafkaError._QUEUE_FULL,
        KafkaError._PURGE_QUEUE,
        KafkaError._PURGE_INFLIGHT,
        KafkaError.NOT_ENOUGH_REPLICAS,
        KafkaError.NOT_ENOUGH_REPLICAS_AFTER_APPEND,
        KafkaError.LEADER_NOT_AVAILABLE,
        KafkaError.NOT_LEADER_FOR_PARTITION,
        KafkaError.REQUEST_TIMED_OUT,
    }
)


# How often the cooperative poller looks for delivery reports while messages are in flight.
_TICK = 0.001


def _gevent_active() -> bool:
    """True in a process whose threading gevent has patched (gunicorn's gevent worker)."""
    monkey = sys.modules.get("gevent.monkey")
    return bool(monkey is not None and monkey.is_module_patched("threading"))


@dataclass(frozen=True)
class OutgoingMessage:
    topic: str
    key: bytes
    value: bytes


@dataclass(frozen=True)
class Delivery:
    """Where Kafka stored a message."""

    topic: str
    partition: int
    offset: int


class EventProducer(Protocol):
    def send(self, messages: Sequence[OutgoingMessage]) -> list[Delivery]:
        """Deliveries in the order of `messages`, once all are acknowledged; raises
        KafkaUnavailableError (retriable) or ProduceRejectedError otherwise."""
        ...

    def ping(self, timeout: float) -> None:
        """Return if a broker answers within `timeout`, else raise KafkaUnavailableError."""
        ...

    def close(self) -> None: ...


def translate(error: KafkaError, retry_after: int = 1) -> ApiError:
    """The domain error for a librdkafka error: retriable ones become 503s."""
    text = f"Kafka: {error.str()} ({error.name()})"
    if error.retriable() or error.fatal() or error.code() in _UNAVAILABLE:
        return KafkaUnavailableError(text, retry_after)
    return ProduceRejectedError(text)


def _delivery(topic: str, stored: Message) -> Delivery:
    partition, offset = stored.partition(), stored.offset()
    if partition is None or offset is None:  # librdkafka sets both on every success
        raise ProduceRejectedError(f"Kafka acknowledged a message to {topic} without an offset")
    return Delivery(stored.topic() or topic, partition, offset)


class _Pending:
    """The acknowledgements one `send` waits for. The waiter blocks on a lock the last
    delivery report releases (an Event would add a condition and another lock per wait)."""

    def __init__(self, count: int, retry_after: int) -> None:
        self.deliveries: list[Delivery | None] = [None] * count
        self.failure: ApiError | None = None
        self.left = count
        self._retry_after = retry_after
        self._count_lock = threading.Lock()
        self._done = threading.Lock()
        if count:
            self._done.acquire()

    def settle(self, index: int, topic: str, error: KafkaError | None, stored: Message) -> None:
        try:
            if error is not None:
                raise translate(error, self._retry_after)
            self.deliveries[index] = _delivery(topic, stored)
        except ApiError as failure:
            self.failure = self.failure or failure
        with self._count_lock:
            self.left -= 1
            if self.left == 0:
                self._done.release()

    def wait(self, timeout: float) -> bool:
        """True once every report is in; False if `timeout` passed first."""
        return self._done.acquire(timeout=timeout)

    def outcome(self) -> list[Delivery]:
        if self.failure is not None:
            raise self.failure
        return [delivery for delivery in self.deliveries if delivery is not None]


class KafkaEventProducer:
    """An idempotent producer with a poll thread; thread-safe."""

    def __init__(
        self,
        client: Mapping[str, Any],
        *,
        delivery_timeout: float = 10.0,
        linger_ms: float = 5.0,
        compression: str = "lz4",
        queue_max_messages: int = 100_000,
        retry_after: int = 1,
        extra: dict[str, Any] | None = None,
    ) -> None:
        # `client`: `KafkaClientSettings.kafka_config()`, bootstrap servers and credentials.
        self._config: dict[str, Any] = {
            **client,
            "acks": "all",
            "enable.idempotence": True,
            "compression.type": compression,
            "linger.ms": linger_ms,
            "message.timeout.ms": int(delivery_timeout * 1000),
            "queue.buffering.max.messages": queue_max_messages,
            "error_cb": self._on_error,
            **(extra or {}),
        }
        # The request waits a little past the producer's own deadline, so the delivery
        # report (success or timeout) always decides the answer.
        self._wait = delivery_timeout + 5.0
        self._retry_after = retry_after
        self._lock = threading.Lock()
        self._producer = Producer(self._config)
        self._released = False
        self._fatal = False
        self._closed = threading.Event()
        self._cooperative = _gevent_active()
        self._work = threading.Event()  # set by `send` for the cooperative poller
        self._poller = threading.Thread(target=self._poll, name="kafka-delivery", daemon=True)
        self._poller.start()

    def _on_error(self, error: KafkaError) -> None:
        if error.fatal():
            log.error("fatal producer error, the producer will be rebuilt: %s", error.str())
            self._fatal = True
        else:
            log.warning("Kafka producer: %s", error.str())

    def _poll(self) -> None:
        if self._cooperative:
            self._poll_cooperatively()
            return
        while not self._closed.is_set():
            self._current().poll(0.1)

    def _poll_cooperatively(self) -> None:
        while not self._closed.is_set():
            producer = self._current()
            # len(): librdkafka's count of messages and reports not yet served.
            if len(producer) == 0:
                self._work.wait(1.0)
                self._work.clear()
                continue
            producer.poll(0)
            time.sleep(_TICK)  # gevent's sleep: the requests run meanwhile

    def _current(self) -> Producer:
        with self._lock:
            if self._closed.is_set() and self._released:
                raise KafkaUnavailableError("the producer is shut down", self._retry_after)
            if self._fatal:
                old, self._producer, self._fatal = self._producer, Producer(self._config), False
                old.purge()
                old.poll(0)  # fails the purged messages' futures
            return self._producer

    def send(self, messages: Sequence[OutgoingMessage]) -> list[Delivery]:
        producer = self._current()
        pending = _Pending(len(messages), self._retry_after)
        for index, message in enumerate(messages):
            self._enqueue(producer, message, pending, index)
        if self._cooperative:
            self._work.set()
        if not pending.wait(self._wait):
            raise KafkaUnavailableError(
                "Kafka did not acknowledge the event in time", self._retry_after
            )
        return pending.outcome()

    def _enqueue(
        self, producer: Producer, message: OutgoingMessage, pending: _Pending, index: int
    ) -> None:
        def delivered(error: KafkaError | None, stored: Message) -> None:
            pending.settle(index, message.topic, error, stored)

        try:
            producer.produce(message.topic, message.value, message.key, on_delivery=delivered)
        except BufferError as exc:
            raise QueueFullError(f"the producer queue is full: {exc}", self._retry_after) from exc
        except KafkaException as exc:
            raise translate(exc.args[0], self._retry_after) from exc

    def ping(self, timeout: float) -> None:
        producer = self._current()
        try:
            if self._cooperative:  # a metadata request blocks its OS thread
                import gevent

                gevent.get_hub().threadpool.apply(producer.list_topics, kwds={"timeout": timeout})
            else:
                producer.list_topics(timeout=timeout)
        except KafkaException as exc:
            raise translate(exc.args[0], self._retry_after) from exc

    def close(self, timeout: float = 10.0) -> None:
        self._closed.set()
        self._poller.join(timeout)
        remaining = self._producer.flush(timeout)
        if remaining:
            log.warning("%d events were still unacknowledged at shutdown", remaining)
        with self._lock:
            # Dropping the last reference destroys the librdkafka handle now, rather than
            # leaving it to reconnect to a stopped broker until the process exits.
            del self._producer
            self._released = True
