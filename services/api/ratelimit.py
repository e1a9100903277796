"""Per-caller rate limiting: one token bucket per authenticated user.

A bucket holds up to `burst` tokens and refills at `rate` per second; each request takes
one. An empty bucket answers RateLimitedError with the seconds until a token is back, which
becomes the 429's Retry-After. Buckets live in one bounded LRU map per process: the limit
is per worker, which is as exact as a limit without shared state can be.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from services.api.errors import RateLimitedError

_MAX_BUCKETS = 100_000


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Token buckets by key; `rate` <= 0 turns limiting off."""

    def __init__(
        self, rate: float, burst: int, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = max(1, burst)
        self._clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def acquire(self, key: str) -> None:
        """Take one token from `key`'s bucket, or raise RateLimitedError."""
        if not self.enabled:
            return
        now = self._clock()
        with self._lock:
            bucket = self._buckets.pop(key, None) or _Bucket(float(self.burst), now)
            self._buckets[key] = bucket  # most recently used last
            if len(self._buckets) > _MAX_BUCKETS:
                self._buckets.popitem(last=False)
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return
            wait = (1 - bucket.tokens) / self.rate
        raise RateLimitedError(
            f"rate limit of {self.rate:g} requests/s exceeded", retry_after=math.ceil(wait)
        )
