"""Leader election over Kafka's group protocol: one writer among all registry processes.

Every eligible process joins the consumer group `ugc-registry-leader:<topic>` subscribed to
a dedicated single-partition topic (`<topic>-leader`); the member the group assigns that
partition to is the leader. Kafka evicts a member that stops heartbeating (a SIGKILLed
process) after `session_timeout_ms`, and a member that closes cleanly leaves at once, so
another member takes the partition in the next rebalance. The cooperative-sticky assignor
keeps the partition where it is while other members come and go.

A member advertises the URL followers forward writes to as its Kafka `client.id`;
followers find the leader by describing the group (`AdminClient.describe_consumer_groups`)
and looking for the member that holds the partition. The answer is cached for a second and
refreshed on demand (a forward that failed). Being elected is what makes a process *try*
to write; safety never rests on it: a deposed leader that still believes it leads is
fenced by the shared transactional id (see NOTES.md).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from confluent_kafka import Consumer, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient

from registry.server.store import Leader

log = logging.getLogger(__name__)

_CACHE_SECONDS = 1.0


@dataclass(frozen=True)
class ElectionConfig:
    """How this process takes part: `url` is what followers forward writes to."""

    url: str | None = None
    eligible: bool = True
    session_timeout_ms: int = 6000


def election_topic(schemas_topic: str) -> str:
    return f"{schemas_topic}-leader"


class Election:
    def __init__(
        self,
        common: dict[str, Any],
        schemas_topic: str,
        config: ElectionConfig,
        on_change: Callable[[bool], None] = lambda _: None,
    ) -> None:
        self.topic = election_topic(schemas_topic)
        self.group = f"ugc-registry-leader:{schemas_topic}"
        self.config = config
        self._common = common
        self._on_change = on_change
        self._leading = threading.Event()
        self._stopping = threading.Event()
        self._consumer: Consumer | None = None
        self._thread: threading.Thread | None = None
        self._admin: AdminClient | None = None
        self._cache_lock = threading.Lock()
        self._cached: tuple[float, str | None] | None = None
        self._client_id = config.url or f"ugc-registry-{uuid.uuid4().hex[:12]}"

    @property
    def leading(self) -> bool:
        return self._leading.is_set()

    def start(self, admin: AdminClient | None = None) -> None:
        """Join the group (when eligible); `admin` describes it (default: a client of its own)."""
        self._admin = admin if admin is not None else AdminClient(self._common)
        if not self.config.eligible:
            return
        self._consumer = Consumer(
            {
                **self._common,
                "group.id": self.group,
                "client.id": self._client_id,
                "session.timeout.ms": self.config.session_timeout_ms,
                "heartbeat.interval.ms": max(100, self.config.session_timeout_ms // 10),
                "partition.assignment.strategy": "cooperative-sticky",
                "enable.auto.commit": False,
                "auto.offset.reset": "latest",
            }
        )
        self._consumer.subscribe(
            [self.topic], on_assign=self._assigned, on_revoke=self._revoked, on_lost=self._revoked
        )
        self._thread = threading.Thread(target=self._run, name="registry-election", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Leave the group (a clean leave hands leadership over at once)."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(10.0)
        if self._consumer is not None:
            self._consumer.close()
            self._consumer = None
        self._admin = None  # an AdminClient has no close(): dropping the last reference is it
        self._set_leading(False)

    def _run(self) -> None:
        assert self._consumer is not None
        while not self._stopping.is_set():
            try:
                self._consumer.poll(0.1)  # the topic stays empty: polling drives the protocol
            except KafkaException as exc:
                log.warning("leader election: %s", exc)
                time.sleep(0.5)

    def _assigned(self, _consumer: Consumer, partitions: list[TopicPartition]) -> None:
        if any(p.topic == self.topic and p.partition == 0 for p in partitions):
            self._set_leading(True)

    def _revoked(self, _consumer: Consumer, partitions: list[TopicPartition]) -> None:
        if any(p.topic == self.topic and p.partition == 0 for p in partitions):
            self._set_leading(False)

    def _set_leading(self, leading: bool) -> None:
        if leading == self._leading.is_set():
            return
        if leading:
            self._leading.set()
        else:
            self._leading.clear()
        with self._cache_lock:
            self._cached = None
        log.info("registry leadership %s (%s)", "won" if leading else "lost", self._client_id)
        self._on_change(leading)

    # --- who leads -------------------------------------------------------------------

    def leader(self, *, refresh: bool = False) -> Leader:
        """The current leader; `refresh` asks the group coordinator instead of the cache."""
        if self.leading:
            return Leader(self.config.url, True)
        now = time.monotonic()
        with self._cache_lock:
            cached = self._cached
        if not refresh and cached is not None and now - cached[0] < _CACHE_SECONDS:
            return Leader(cached[1], False)
        url = self._describe()
        with self._cache_lock:
            self._cached = (time.monotonic(), url)
        return Leader(url, self.leading)

    def wait_for_leader(self, seconds: float) -> Leader:
        """Poll until some process leads (or time runs out); return what is known then."""
        deadline = time.monotonic() + seconds
        found = self.leader(refresh=True)
        while not found.is_self and found.url is None and time.monotonic() < deadline:
            self._leading.wait(0.1)
            found = self.leader(refresh=True)
        return found

    def _describe(self) -> str | None:
        if self._admin is None:
            return None
        try:
            future = self._admin.describe_consumer_groups([self.group], request_timeout=5.0)
            description = future[self.group].result(5.0)
        except KafkaException as exc:
            log.warning("cannot describe group %s: %s", self.group, exc)
            return None
        for member in description.members:
            partitions = member.assignment.topic_partitions if member.assignment else []
            if any(p.topic == self.topic and p.partition == 0 for p in partitions):
                client_id: str = member.client_id
                return client_id if client_id.startswith(("http://", "https://")) else None
        return None
