"""A local stack for the console's browser tests: the session's Kafka broker, a registry
holding the contracts of schemas/, the ingest API and two consoles (one accepting writes
after a login, one read-only), each served over HTTP in a thread; and headless Chromium
(Debian's `chromium`, driven by Playwright). Screenshots go to
`$UGC_TEST_ARTIFACTS/console/` (default `var/test-artifacts/console/`)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
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
