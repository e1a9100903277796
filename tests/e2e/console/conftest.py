"""A local stack for the console's browser tests: the session's Kafka broker, a registry
holding the contracts of schemas/, the ingest API and two consoles (one accepting writes
after a login, one read-only), each served over HTTP in a thread; for the pipeline, the
real ETL (`ugc etl run`, a subprocess) loading one event type into a database of the
session's warehouse server, and a console reading that ETL's dead letters and database;
and headless Chromium (Debian's `chromium`, driven by Playwright). Screenshots go to
`$UGC_TEST_ARTIFACTS/console/` (default `var/test-artifacts/console/`)."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]
from flask import Flask
from playwright.sync_api import Browser, Page, sync_playwright
from pydantic import SecretStr
from werkzeug.serving import BaseWSGIServer, make_server

from contracts.loading import load_contracts
from registry.client.client import RegistryClient
from services.api.app import create_app as create_api
from services.api.settings import ApiSettings
from services.console.app import create_app as create_console
from services.console.settings import ConsoleSettings
from tests.support.etl import EtlCommand

ROOT = Path(__file__).resolve().parents[3]
SCHEMAS = ROOT / "schemas"
JWT_SECRET = "console-browser-test-secret-of-32-bytes-or-more"
PASSWORD = "browser-test-password"
CHROMIUM = "/usr/bin/chromium"


@dataclass
class Served:
    url: str
    app: Flask
    server: BaseWSGIServer
    thread: threading.Thread

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(5)
        self.server.server_close()


def serve(app: Flask) -> Served:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return Served(f"http://127.0.0.1:{server.server_port}", app, server, thread)


@dataclass
class Stack:
    bootstrap: str
    registry_url: str
    api: Served
    console: Served
    read_only: Served
    dead_letters: str


@pytest.fixture
def stack(
    kafka_bootstrap: str, registry_url: str, unique_name: Callable[[str], str]
) -> Iterator[Stack]:
    with RegistryClient(registry_url) as registry:
        for contract in load_contracts(SCHEMAS):
            registry.register(contract.subject, contract.schema)
    api = serve(
        create_api(
            ApiSettings(
                kafka_bootstrap=kafka_bootstrap,
                registry_url=registry_url,
                api_jwt_secret=SecretStr(JWT_SECRET),
                api_schemas_dir=SCHEMAS,
                api_rate_limit=0,
            )
        )
    )
    dead_letters = unique_name("dead-letters")
    options: dict[str, Any] = {
        "kafka_bootstrap": kafka_bootstrap,
        "registry_url": registry_url,
        "console_password": SecretStr(PASSWORD),
        "console_dead_letter_topic": dead_letters,
        "clickhouse_dsn": "http://127.0.0.1:9",  # no warehouse here: the page says so
    }
    console = serve(create_console(ConsoleSettings(**options)))
    read_only = serve(create_console(ConsoleSettings(**options, console_read_only=True)))
    yield Stack(kafka_bootstrap, registry_url, api, console, read_only, dead_letters)
    for served in (console, read_only, api):
        served.stop()
    api.app.extensions["ugc.api"]["producer"].close()
    for served in (console, read_only):
        served.app.extensions["ugc.console"].cluster.close()


@dataclass
class PipelineStack:
    """One event type `ugc.<event_type>` (one partition) loaded by `ugc etl run` into
    `database`; the console reads the ETL's dead letters and that database."""

    bootstrap: str
    registry_url: str
    event_type: str
    database: str
    dead_letters: str
    etl: EtlCommand
    console: Served

    @property
    def topic(self) -> str:
        return f"ugc.{self.event_type}"


def _etl_env(
    bootstrap: str, registry_url: str, dsn: str, database: str, event_type: str, group: str
) -> dict[str, str]:
    return {
        **os.environ,
        "UGC_KAFKA_BOOTSTRAP": bootstrap,
        "UGC_REGISTRY_URL": registry_url,
        "UGC_CLICKHOUSE_DSN": dsn,
        "UGC_ETL_DATABASE": database,
        "UGC_ETL_GROUP_ID": group,
        "UGC_ETL_TOPIC_PATTERN": rf"^ugc\.{event_type}$",
        "UGC_ETL_DEAD_LETTER_TOPIC": f"dlq.{group}",
        "UGC_ETL_BATCH_SECONDS": "0.3",
        "UGC_ETL_METADATA_REFRESH_MS": "1000",
        "UGC_ETL_SESSION_TIMEOUT_MS": "6000",
        "UGC_ETL_RETRY_MAX_SECONDS": "2",
    }


@pytest.fixture
def pipeline_stack(
    kafka_bootstrap: str,
    registry_url: str,
    clickhouse_dsn: str,
    clickhouse_database: str,
    unique_name: Callable[[str], str],
    tmp_path: Path,
) -> Iterator[PipelineStack]:
    event_type = f"e{uuid.uuid4().hex[:10]}_rating"
    topic, group = f"ugc.{event_type}", unique_name("etl")
    admin = AdminClient({"bootstrap.servers": kafka_bootstrap})
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(30)
    env = _etl_env(
        kafka_bootstrap, registry_url, clickhouse_dsn, clickhouse_database, event_type, group
    )
    etl = EtlCommand(env, tmp_path / "etl.log")
    etl.start()
    settings = ConsoleSettings(
        kafka_bootstrap=kafka_bootstrap,
        registry_url=registry_url,
        console_password=SecretStr(PASSWORD),
        console_dead_letter_topic=env["UGC_ETL_DEAD_LETTER_TOPIC"],
        clickhouse_dsn=clickhouse_dsn,
        console_warehouse_database=clickhouse_database,
        console_kafka_timeout=20.0,
    )
    console = serve(create_console(settings))
    try:
        yield PipelineStack(
            kafka_bootstrap,
            registry_url,
            event_type,
            clickhouse_database,
            settings.console_dead_letter_topic,
            etl,
            console,
        )
    finally:
        console.stop()
        console.app.extensions["ugc.console"].cluster.close()
        etl.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    opened = context.new_page()
    opened.set_default_timeout(20_000)
    yield opened
    context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    root = Path(os.environ.get("UGC_TEST_ARTIFACTS", ROOT / "var" / "test-artifacts"))
    folder = root / "console"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def log_in(page: Page, console_url: str) -> None:
    page.goto(f"{console_url}/login")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("text=logged in as admin")
