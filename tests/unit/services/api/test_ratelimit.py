from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask

from services.api.errors import RateLimitedError
from services.api.ratelimit import RateLimiter
from tests.unit.services.api.conftest import token_for


def test_bucket_allows_the_burst_then_refuses_until_it_refills() -> None:
    now = [0.0]
    limiter = RateLimiter(rate=2.0, burst=3, clock=lambda: now[0])
    for _ in range(3):
        limiter.acquire("u")
    with pytest.raises(RateLimitedError) as refused:
        limiter.acquire("u")
    assert refused.value.retry_after == 1
    now[0] += 0.5
    limiter.acquire("u")


def test_buckets_are_per_key() -> None:
    limiter = RateLimiter(rate=1.0, burst=1, clock=lambda: 0.0)
    limiter.acquire("a")
    limiter.acquire("b")
    with pytest.raises(RateLimitedError):
        limiter.acquire("a")


def test_zero_rate_turns_limiting_off() -> None:
    limiter = RateLimiter(rate=0, burst=1)
    for _ in range(100):
        limiter.acquire("u")


def test_post_over_the_rate_limit_returns_429_with_retry_after(
    make_app: Callable[..., Flask],
) -> None:
    client = make_app(api_rate_limit=0.5, api_rate_burst=2).test_client()
    headers = token_for()
    answers = [client.post("/api/v1/events/nope", json={}, headers=headers) for _ in range(3)]
    assert [a.status_code for a in answers] == [404, 404, 429]
    assert answers[2].headers["Retry-After"] == "2"
    assert answers[2].json is not None and answers[2].json["error"] == "rate_limited"
    other = client.post("/api/v1/events/nope", json={}, headers=token_for())
    assert other.status_code == 404
