from __future__ import annotations

from collections.abc import Callable

import httpx
import jwt
import pytest
from click.testing import CliRunner
from flask import Flask

from services.api.bench import parse_wrk
from services.api.demo import run_demo, visits
from tests.unit.services.api.conftest import SECRET, USER, FakeProducer
from ugc.cli import main

WRK_OUTPUT = """Running 10s test @ http://127.0.0.1:8000/healthz
  2 threads and 32 connections
  Latency Distribution
     50%    7.25ms
     75%    9.10ms
     90%   12.00ms
     99%  850.00us
  35000 requests in 10.00s, 5.1MB read
  Non-2xx or 3xx responses: 12
Requests/sec:   3500.50
Transfer/sec:    520.00KB
"""


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


def test_bench_reads_wrk_figures() -> None:
    result = parse_wrk("(a)", WRK_OUTPUT, 100)
    assert (result.requests_per_s, result.events_per_s) == (3500.5, 350050.0)
    assert (result.p50_ms, result.p99_ms, result.errors) == (7.25, 0.85, 12)


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
