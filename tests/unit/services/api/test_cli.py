from __future__ import annotations

from collections.abc import Callable

import httpx
import jwt
import pytest
from click.testing import CliRunner
from flask import Flask

from services.api.demo import run_demo, visits
from tests.unit.services.api.conftest import SECRET, USER, FakeProducer
from ugc.cli import main


def test_token_command_mints_a_token_for_the_user(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UGC_API_JWT_SECRET", SECRET)
    result = CliRunner().invoke(main, ["token", "--user", USER])
    assert result.exit_code == 0, result.output
    claims = jwt.decode(result.output.strip(), SECRET, algorithms=["HS256"])
    assert claims["sub"] == USER


def test_token_command_refuses_a_user_that_is_not_a_uuid() -> None:
    result = CliRunner().invoke(main, ["token", "--user", "alice"])
    assert result.exit_code == 2


def test_demo_visits_cover_every_event_type_with_many_users() -> None:
    names = "page_view search_query click player_event film_progress bookmark film_rating"
    examples: dict[str, dict[str, object]] = {name: {} for name in [*names.split(), "film_review"]}
    sent = list(visits(2000, examples, seed=1))
    assert sum(len(v.events) for v in sent) == 2000
    assert {e["type"] for v in sent for e in v.events} == set(examples)
    assert len({v.user_id for v in sent}) > 20


def test_demo_sends_valid_traffic_through_the_api(
    make_app: Callable[..., Flask], producer: FakeProducer
) -> None:
    transport = httpx.WSGITransport(app=make_app())
    summary = run_demo("http://api", SECRET, 300, seed=7, concurrency=2, transport=transport)
    assert not summary.failed
    assert sum(summary.accepted.values()) == 300 == len(producer.messages)


def test_bench_group_offers_the_api_benchmark() -> None:
    result = CliRunner().invoke(main, ["bench", "--help"])
    assert result.exit_code == 0 and "api" in result.output


def test_the_server_module_refuses_an_unknown_worker_class_with_usage_and_exit_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from services.api.server import main

    with pytest.raises(SystemExit) as stopped:
        main(["eventlet"])
    assert stopped.value.code == 2
    assert "usage: python -m services.api.server {gevent,gthread}" in capsys.readouterr().err
