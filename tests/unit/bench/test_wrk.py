"""Reading wrk's output (`ugc.bench.wrk`)."""

from __future__ import annotations

from ugc.bench.wrk import parse_wrk

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


def test_bench_reads_wrk_figures() -> None:
    result = parse_wrk("(a)", WRK_OUTPUT, 100)
    assert (result.requests_per_s, result.events_per_s) == (3500.5, 350050.0)
    assert (result.p50_ms, result.p99_ms, result.errors) == (7.25, 0.85, 12)
