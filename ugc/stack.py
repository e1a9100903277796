"""The local stack: the components `ugc up` starts, `ugc down` stops and `ugc status` shows.

Each component is a supervised process with its pid file and log under the data directory
(default `./var`). Components start in dependency order and stop in reverse. The stack
owns the embedded warehouse through exactly one component (the ETL, once it joins), so no
two processes ever open the same chdb directory.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ugc.kafka.broker import LocalKafka
from ugc.process import StopReport
from ugc.settings import StackSettings


@dataclass(frozen=True)
class ComponentStatus:
    name: str
    running: bool
    url: str | None
    health: str
    log: Path | None


class Component(Protocol):
    name: str

    def start(self) -> str: ...

    def stop(self) -> StopReport: ...

    def status(self) -> ComponentStatus: ...


class KafkaComponent:
    """The local Kafka node under `<data-dir>/kafka`."""

    name = "kafka"

    def __init__(self, settings: StackSettings) -> None:
        self.port = settings.kafka_port
        self.broker = LocalKafka(settings.data_dir / "kafka")

    def start(self) -> str:
        return self.broker.start(self.port)

    def stop(self) -> StopReport:
        return self.broker.stop()

    def status(self) -> ComponentStatus:
        state = self.broker.status()
        health = "answers metadata" if state.running else "stopped"
        url = f"kafka://{state.bootstrap}" if state.bootstrap else None
        return ComponentStatus(self.name, state.running, url, health, self.broker.log_file)


def components(settings: StackSettings) -> Sequence[Component]:
    """The stack's components in start order."""
    return [KafkaComponent(settings)]


def up(settings: StackSettings) -> list[ComponentStatus]:
    started = []
    for component in components(settings):
        component.start()
        started.append(component.status())
    return started


def down(settings: StackSettings) -> list[StopReport]:
    return [component.stop() for component in reversed(components(settings))]


def status(settings: StackSettings) -> list[ComponentStatus]:
    return [component.status() for component in components(settings)]
