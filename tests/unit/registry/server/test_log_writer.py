"""The leader's transactional writer: Kafka client failures become retries or domain errors
(never a Python error), and concurrent writes are group-committed in log order.

The producer is a fake with confluent-kafka's transactional interface; its "topic" is a
list, and committing applies the records to the state as the reader would (unless the
reader is `lagging`); the writer applies its committed records itself, and the fake, like
the store, applies each offset once."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException

from registry.client.models import SchemaId, SchemaType, Subject, Version
from registry.server.errors import (
    NotLeaderError,
    OperationNotPermittedError,
    StoreError,
    StoreTimeoutError,
)
from registry.server.log_writer import LogWriter, transactional_ids
from registry.server.records import Record, SchemaWritten, decode, schema_record
from registry.server.state import RegistryState


@dataclass
class FakeMessage:
    number: int

    def offset(self) -> int:
        return self.number


@dataclass
class FakeKafka:
    """One partition, the reader's state, and failures to inject at `flush`."""

    log: list[tuple[str, Record]] = field(default_factory=list)  # (transactional id, record)
    transactions: list[int] = field(default_factory=list)  # records per committed transaction
    state: RegistryState = field(default_factory=RegistryState)
    lock: threading.RLock = field(default_factory=threading.RLock)
    flush_failures: list[BaseException] = field(default_factory=list)
    producers: int = 0
    transactional_ids: list[str] = field(default_factory=list)
    commit_gate: threading.Event | None = None
    lagging: bool = False  # the reader has not fetched anything committed yet
    applied_end: int = 0
    holding: int = 0  # records of the transaction held at the commit gate
    closed: list[str] = field(default_factory=list)  # transactional ids of closed producers
    init_gate: threading.Event | None = None  # holds every init_transactions until set
    initialising: threading.Event = field(default_factory=threading.Event)

    def producer(self, config: dict[str, Any]) -> FakeProducer:
        self.transactional_ids.append(config["transactional.id"])
        self.producers += 1
        return FakeProducer(self, config["transactional.id"])

    def apply(self, offset: int, record: Record) -> None:
        with self.lock:
            if offset >= self.applied_end:
                self.state.apply(decode(record))
                self.applied_end = offset + 1

    def wait_applied(self, end: int) -> None:
        assert len(self.log) >= end, "the writer waited for an offset nobody wrote"
        for offset in range(self.applied_end, end):
            self.apply(offset, self.log[offset][1])

    def apply_committed(self, committed: Sequence[tuple[int, Record]]) -> None:
        for offset, record in committed:
            assert self.log[offset][1] == record, "applied at an offset it was not written at"
            self.apply(offset, record)


class FakeProducer:
    def __init__(self, kafka: FakeKafka, transactional_id: str) -> None:
        self.kafka = kafka
        self.transactional_id = transactional_id
        self.pending: list[tuple[Record, Any]] = []

    def init_transactions(self, timeout: float) -> None:
        self.kafka.initialising.set()
        if self.kafka.init_gate is not None:
            self.kafka.init_gate.wait(10)

    def begin_transaction(self) -> None:
        self.pending = []

    def produce(self, topic: str, value: bytes | None, key: bytes, on_delivery: Any) -> None:
        self.pending.append((Record(key, value), on_delivery))

    def flush(self, timeout: float) -> int:
        if self.pending and self.kafka.flush_failures:  # failures hit deliveries only
            raise self.kafka.flush_failures.pop(0)
        for number, (_, delivered) in enumerate(self.pending):
            delivered(None, FakeMessage(len(self.kafka.log) + number))
        return 0

    def commit_transaction(self, timeout: float) -> None:
        if self.kafka.commit_gate is not None:
            self.kafka.holding = len(self.pending)
            self.kafka.commit_gate.wait(10)
        with self.kafka.lock:
            start = len(self.kafka.log)
            self.kafka.log += [(self.transactional_id, record) for record, _ in self.pending]
            if not self.kafka.lagging:
                for offset in range(start, len(self.kafka.log)):
                    self.kafka.apply(offset, self.kafka.log[offset][1])
            self.kafka.transactions.append(len(self.pending))

    def abort_transaction(self, timeout: float) -> None:
        self.pending = []

    def purge(self) -> None:
        self.pending = []

    def close(self) -> bool:
        self.kafka.closed.append(self.transactional_id)
        return True


def make_writer(kafka: FakeKafka, leading: bool = True) -> LogWriter:
    return LogWriter(
        {},
        "_schemas",
        timeout=1.0,
        state_lock=kafka.lock,
        state=lambda: kafka.state,
        wait_applied=kafka.wait_applied,
        apply_committed=kafka.apply_committed,
        leading=lambda: leading,
        producer_factory=kafka.producer,  # type: ignore[arg-type]
        retry_pause=0.0,
    )


def new_schema(subject: str) -> Any:
    """A prepare that registers a new schema under the next id and version."""

    def prepare(state: RegistryState) -> tuple[Sequence[Record], SchemaId]:
        schema_id = SchemaId(state.max_id + 1)
        event = SchemaWritten(
            Subject(subject),
            state.next_version(Subject(subject)),
            schema_id,
            f'"s{schema_id}"',
            SchemaType.AVRO,
            (),
            deleted=False,
        )
        return [schema_record(event)], schema_id

    return prepare


def kafka_error(code: int, *, fatal: bool = False) -> KafkaException:
    return KafkaException(KafkaError(code, "broker said no", fatal=fatal))


def test_regression_system_error_from_flush_after_fencing_is_retried_on_a_fresh_producer() -> None:
    kafka = FakeKafka()
    kafka.flush_failures.append(
        SystemError("<method 'append' of 'list' objects> returned a result with an exception set")
    )
    writer = make_writer(kafka)
    assert writer.write(new_schema("s")) == 1
    rotation = len(transactional_ids("_schemas"))
    assert kafka.producers == 2 * rotation  # the broken ones were dropped
    assert [decode(r) for _, r in kafka.log].count(decode(kafka.log[-1][1])) == 1
    assert kafka.state.subjects[Subject("s")][Version(1)].schema_id == 1


@pytest.mark.parametrize(
    ("failure", "expected"),
    [
        (kafka_error(KafkaError._FENCED, fatal=True), StoreError),
        (kafka_error(KafkaError._TIMED_OUT), StoreTimeoutError),
        (BufferError("queue full"), StoreError),
    ],
)
def test_a_write_kafka_keeps_refusing_answers_a_store_error_with_kafkas_reason(
    failure: BaseException, expected: type[StoreError]
) -> None:
    kafka = FakeKafka()
    writer = make_writer(kafka)
    writer.write(lambda state: ([], None))  # initialised, caught up
    kafka.flush_failures.extend([failure] * 10)
    with pytest.raises(StoreError) as raised:
        writer.write(new_schema("s"))
    assert type(raised.value) is expected
    assert raised.value.message.startswith("Error in the backend data store: could not write")
    assert Subject("s") not in kafka.state.subjects


def test_concurrent_writes_share_one_transaction_each_prepared_after_the_ones_before() -> None:
    kafka = FakeKafka()
    writer = make_writer(kafka)
    writer.write(lambda state: ([], None))
    kafka.commit_gate = threading.Event()
    ids: list[SchemaId] = []
    threads = [
        threading.Thread(target=lambda: ids.append(writer.write(new_schema("s")))) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    while (
        len(writer._queue) + kafka.holding < 8
    ):  # a batch commits (held at the gate), the rest wait
        threading.Event().wait(0.01)
    kafka.commit_gate.set()
    for thread in threads:
        thread.join(10)
    assert sorted(ids) == list(range(1, 9))
    assert len(kafka.transactions) == 3 and sum(kafka.transactions[1:]) == 8  # after the NOOP
    versions = kafka.state.subjects[Subject("s")]
    assert sorted(versions) == list(range(1, 9))
    assert {v.schema_id for v in versions.values()} == set(range(1, 9))


def test_a_refused_write_in_a_batch_leaves_the_others_alone() -> None:
    kafka = FakeKafka()
    writer = make_writer(kafka)

    def refuse(state: RegistryState) -> tuple[Sequence[Record], None]:
        raise OperationNotPermittedError("Subject s is in read-only mode")

    with pytest.raises(OperationNotPermittedError):
        writer.write(refuse)
    assert writer.write(new_schema("t")) == 1


def test_a_process_that_does_not_lead_refuses_to_write() -> None:
    kafka = FakeKafka()
    with pytest.raises(NotLeaderError):
        make_writer(kafka, leading=False).write(new_schema("s"))
    assert kafka.log == [] and kafka.producers == 0


def test_a_committed_write_is_in_the_state_when_it_answers_without_waiting_for_the_reader() -> None:
    kafka = FakeKafka()
    writer = make_writer(kafka)
    writer.write(lambda state: ([], None))
    kafka.lagging = True
    assert writer.write(new_schema("s")) == 1
    assert writer.write(new_schema("s")) == 2
    assert sorted(kafka.state.subjects[Subject("s")]) == [1, 2]
    assert kafka.applied_end == len(kafka.log)


def test_every_transactional_id_is_initialised_before_the_first_write_and_they_take_turns() -> None:
    kafka = FakeKafka()
    writer = make_writer(kafka)
    ids = transactional_ids("_schemas")
    assert ids[0] == "ugc-registry:_schemas" and len(set(ids)) == len(ids) > 1
    for number in range(2 * len(ids)):
        writer.write(new_schema(f"s{number}"))
    assert kafka.transactional_ids == ids  # all of them fenced before anything was written
    writers = [tid for tid, _ in kafka.log[1:]]  # after the catch-up NOOP
    assert all(a != b for a, b in itertools.pairwise(writers))
    assert set(writers) == set(ids)


def test_regression_close_during_warm_up_stops_after_the_step_under_way_and_closes_producers() -> (
    None
):
    kafka = FakeKafka(init_gate=threading.Event())
    writer = make_writer(kafka)
    warm_up = threading.Thread(target=writer.warm_up)
    warm_up.start()
    assert kafka.initialising.wait(5)  # the first init_transactions is under way
    closing = threading.Thread(target=writer.close)
    closing.start()
    kafka.init_gate.set()  # type: ignore[union-attr]
    closing.join(5)
    warm_up.join(5)
    assert not closing.is_alive() and not warm_up.is_alive()
    assert kafka.producers == 1  # no further producer was created after close
    assert kafka.closed == transactional_ids("_schemas")[:1]
    assert kafka.log == []  # no catch-up NOOP was written either


def test_close_closes_every_producer_and_later_writes_and_warm_ups_do_nothing() -> None:
    kafka = FakeKafka()
    writer = make_writer(kafka)
    writer.write(new_schema("s"))
    writer.close()
    assert sorted(kafka.closed) == sorted(transactional_ids("_schemas"))
    writer.warm_up()
    with pytest.raises(StoreError):
        writer.write(new_schema("t"))
    assert kafka.producers == len(transactional_ids("_schemas"))
    assert Subject("t") not in kafka.state.subjects


def test_a_producer_whose_init_fails_is_closed_with_the_ones_before_it() -> None:
    kafka = FakeKafka()
    failing = iter([None, kafka_error(KafkaError._TIMED_OUT)])

    class Failing(FakeProducer):
        def init_transactions(self, timeout: float) -> None:
            error = next(failing, None)
            if error is not None:
                raise error

    writer = make_writer(kafka)
    writer._new_producer = lambda config: Failing(kafka, config["transactional.id"])  # type: ignore[assignment,method-assign]
    writer.warm_up()
    ids = transactional_ids("_schemas")
    assert sorted(kafka.closed) == sorted(ids[:2])


def test_closing_answers_the_queued_writes_shutting_down_and_the_writer_thread_ends() -> None:
    kafka = FakeKafka()
    writer = make_writer(kafka)
    writer.write(new_schema("s"))
    kafka.commit_gate = threading.Event()
    answers: dict[str, object] = {}

    def write(subject: str) -> None:
        try:
            answers[subject] = writer.write(new_schema(subject))
        except StoreError as exc:
            answers[subject] = exc.message

    in_flight = threading.Thread(target=write, args=("a",))
    in_flight.start()
    while kafka.holding < 1:  # its batch is committing, held at the gate
        threading.Event().wait(0.01)
    queued = [threading.Thread(target=write, args=(f"q{n}",)) for n in range(3)]
    for thread in queued:
        thread.start()
    while len(writer._queue) < 3:
        threading.Event().wait(0.01)
    thread = writer._thread
    closing = threading.Thread(target=writer.close)
    closing.start()
    kafka.commit_gate.set()
    for waiting in [in_flight, *queued, closing]:
        waiting.join(5)
        assert not waiting.is_alive()
    shutting_down = "Error in the backend data store: shutting down"
    # the batch under way committed and answered; the queued ones were refused, not lost
    assert answers == {"a": 2} | {f"q{n}": shutting_down for n in range(3)}
    assert thread is not None and (thread.join(5), thread.is_alive()) == (None, False)
    assert sorted(kafka.closed) == sorted(transactional_ids("_schemas"))
