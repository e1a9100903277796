"""The local stack: the components `ugc up` starts, `ugc down` stops and `ugc status` shows.

Each component is a supervised process with its pid file and log under the data directory
(default `./var`). Components start in dependency order and stop in reverse. The stack
owns the embedded warehouse through exactly one component, the warehouse server
(`ugc warehouse serve`, ClickHouse's HTTP interface on `warehouse_port`); every other
process reaches it at `warehouse_dsn(settings)`, so no two processes open the chdb directory.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import httpx

from ugc.errors import SetupError, UgcError
from ugc.kafka.broker import LocalKafka
from ugc.process import ManagedProcess, StopReport, port_is_free
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


class ServiceComponent:
    """One of our HTTP services, run as `ugc <args>` and healthy when `health_path` says so."""

    def __init__(
        self,
        name: str,
        *,
        args: list[str],
        port: int,
        settings: StackSettings,
        env: dict[str, str],
        health_path: str = "/healthz",
    ) -> None:
        self.name = name
        self.args = args
        self.port = port
        self.env = env
        self.url = f"http://127.0.0.1:{port}"
        self.health_url = self.url + health_path
        data_dir = settings.data_dir.expanduser().resolve()
        self.process = ManagedProcess(
            name=name,
            pid_file=data_dir / "run" / f"{name}.pid",
            log_file=data_dir / "log" / f"{name}.log",
            marker=f"ugc-component={name}",
        )

    def start(self, timeout: float = 60.0) -> str:
        if self.process.pid() is not None:
            return self.url
        if not port_is_free(self.port):
            raise SetupError(f"{self.name}: port {self.port} is already in use by another process")
        # -X puts the marker in the command line, where `ugc down` recognises the process.
        argv = [sys.executable, "-X", self.process.marker, "-m", "ugc", *self.args]
        pid = self.process.spawn(argv, env={**os.environ, **self.env})
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.exited(pid):
                raise UgcError(f"{self.name} exited during start-up; see {self.process.log_file}")
            if self._healthy()[0]:
                return self.url
            time.sleep(0.2)
        raise UgcError(
            f"{self.name} was not healthy within {timeout:.0f}s; see {self.process.log_file}"
        )

    def _healthy(self) -> tuple[bool, str]:
        try:
            response = httpx.get(self.health_url, timeout=2.0)
        except httpx.HTTPError as exc:
            return False, f"unreachable ({type(exc).__name__})"
        return response.status_code == 200, f"HTTP {response.status_code}"

    def stop(self) -> StopReport:
        return self.process.stop(grace=20.0)

    def status(self) -> ComponentStatus:
        running = self.process.pid() is not None
        health = self._healthy()[1] if running else "stopped"
        return ComponentStatus(self.name, running, self.url, health, self.process.log_file)


def warehouse_dsn(settings: StackSettings) -> str:
    """UGC_CLICKHOUSE_DSN for the stack's processes: the local warehouse server."""
    return f"http://127.0.0.1:{settings.warehouse_port}"


def components(settings: StackSettings) -> Sequence[Component]:
    """The stack's components in start order."""
    bootstrap = f"127.0.0.1:{settings.kafka_port}"
    return [
        KafkaComponent(settings),
        ServiceComponent(
            "warehouse",
            args=[
                "warehouse",
                "serve",
                "--port",
                str(settings.warehouse_port),
                "--data-dir",
                str(settings.data_dir.expanduser().resolve()),
            ],
            port=settings.warehouse_port,
            settings=settings,
            env={},
            health_path="/ping",
        ),
        ServiceComponent(
            "registry",
            args=["registry", "serve", "--port", str(settings.registry_port)],
            port=settings.registry_port,
            settings=settings,
            env={"UGC_KAFKA_BOOTSTRAP": bootstrap},
        ),
        ServiceComponent(
            "api",
            args=["api", "serve", "--port", str(settings.api_port)],
            port=settings.api_port,
            settings=settings,
            env={
                "UGC_KAFKA_BOOTSTRAP": bootstrap,
                "UGC_REGISTRY_URL": f"http://127.0.0.1:{settings.registry_port}",
            },
        ),
        ServiceComponent(
            "console",
            args=["console", "serve", "--port", str(settings.console_port)],
            port=settings.console_port,
            settings=settings,
            env={
                "UGC_KAFKA_BOOTSTRAP": bootstrap,
                "UGC_REGISTRY_URL": f"http://127.0.0.1:{settings.registry_port}",
                "UGC_CLICKHOUSE_DSN": warehouse_dsn(settings),
            },
        ),
        ServiceComponent(
            "etl",
            args=["etl", "run", "--port", str(settings.etl_port)],
            port=settings.etl_port,
            settings=settings,
            env={
                "UGC_KAFKA_BOOTSTRAP": bootstrap,
                "UGC_REGISTRY_URL": f"http://127.0.0.1:{settings.registry_port}",
                "UGC_CLICKHOUSE_DSN": warehouse_dsn(settings),
            },
        ),
    ]


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
