from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner

from services.console import cli
from services.console.settings import ConsoleSettings
from ugc.cli import main


def test_serve_passes_its_options_to_the_server(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    def fake_serve(factory: object, **options: Any) -> None:
        seen.update(options)

    monkeypatch.setattr(cli, "serve_app", fake_serve)
    result = CliRunner().invoke(main, ["console", "serve", "--port", "18123", "--read-only"])
    assert result.exit_code == 0, result.output
    assert (seen["port"], seen["workers"], seen["host"]) == (18123, 1, "127.0.0.1")


def test_serve_refuses_a_bad_port_as_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["console", "serve", "--port", "0"])
    assert result.exit_code == 2


def test_the_bench_group_offers_the_console_benchmark() -> None:
    result = CliRunner().invoke(main, ["bench", "console", "--help"])
    assert result.exit_code == 0
    assert "Time to first byte" in result.output


def test_writes_need_credentials_and_no_read_only_setting() -> None:
    assert ConsoleSettings().why_read_only() is not None
    assert ConsoleSettings(console_token="t").why_read_only() is None
    assert ConsoleSettings(console_token="t", console_read_only=True).why_read_only() == (
        "the console is read-only (UGC_CONSOLE_READ_ONLY)"
    )
