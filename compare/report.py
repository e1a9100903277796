"""The run written down: `results.md` (Markdown tables) and `results.json` (every figure).

Ratios compare each store with ClickHouse measured in the same run (the baseline), never
with figures from another machine or day. Every store asked for appears, with "not run:
<reason>" when it could not run.
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from typing import Any

from compare.runner import Results
from compare.workload import Latency

BASELINE = "clickhouse"
CHARTS = {
    "write_latency.png": "p50 latency of one insert, by batch size",
    "write_throughput.png": "rows/s by batch size",
    "query_latency.png": "analysts' queries, p50 latency",
    "mixed.png": "mixed workload latencies",
}


def _ms(value: float) -> str:
    if math.isnan(value):
        return "-"
    return f"{value:,.1f}" if value >= 10 else f"{value:.2f}"


def _ratio(value: float, baseline: float | None) -> str:
    if baseline is None or not baseline or math.isnan(value) or math.isnan(baseline):
        return "-"
    return f"{value / baseline:.2f}x"


def _latency(latency: Latency) -> list[str]:
    return [_ms(latency.p50), _ms(latency.p95), _ms(latency.p99)]


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def _header(results: Results) -> list[str]:
    plan = results.plan
    lines = [
        "# Storage comparison: the UGC film-progress workload",
        "",
        f"Command: `{plan.command}`",
        "",
        f"Run {results.started} → {results.finished}; seed {plan.seed}; {plan.rows:,} progress "
        f"rows (+ {max(200, plan.rows // 20):,} ratings); {plan.batches} inserts per batch size; "
        f"mixed workload {plan.users} users for {plan.mixed_seconds:g} s, writers sending "
        f"{plan.mixed_batch} rows per insert; each query timed {plan.query_runs} times.",
        "",
        f"Load average (1/5/15 min) before: {results.load_before}; after: {results.load_after}. "
        "The machine is shared with other work, so timings are noisy: compare shapes and "
        "orders of magnitude, not the last digit.",
        "",
    ]
    if results.phases:
        lines += _table(["phase", "load average at its start"], [list(p) for p in results.phases])
        lines.append("")
    lines += _table(["machine", ""], [[k, v] for k, v in results.machine.items()])
    lines += ["", "## Stores", ""]
    rows = []
    for status in results.statuses:
        if status.ran:
            rows.append([status.name, status.version, status.method, status.notes])
        else:
            rows.append([status.name, f"not run: {status.reason}", "-", "-"])
    return [*lines, *_table(["store", "version", "bulk method", "set-up"], rows)]


def _checks(results: Results) -> list[str]:
    lines = ["", "## Answers cross-checked before timing", ""]
    rows = [
        [a.query, f"{a.rows:,}", f"`{a.digest}`", ", ".join(a.stores)] for a in results.agreements
    ]
    return lines + _table(["question", "rows", "sha256 (16)", "identical in"], rows)


def _writes(results: Results) -> list[str]:
    base = {w.batch: w.latency.p50 for w in results.writes if w.store == BASELINE}
    rows = [
        [w.store, f"{w.batch:,}", f"{w.rows_per_s:,.0f}", *_latency(w.latency),
         _ratio(w.latency.p50, base.get(w.batch))]
        for w in sorted(results.writes, key=lambda w: (w.batch, w.store))
    ]  # fmt: skip
    lines = ["", "## Writes by batch size", "", "Latency of one insert in ms.", ""]
    return lines + _table(
        ["store", "batch", "rows/s", "p50", "p95", "p99", "p50 vs clickhouse"], rows
    )


def _loads(results: Results) -> list[str]:
    rows = [
        [w.store, f"{w.rows:,}", f"{w.seconds:,.1f}", f"{w.rows_per_s:,.0f}", *_latency(w.latency),
         f"{w.after_load_seconds or 0:,.1f}"]
        for w in results.loads
    ]  # fmt: skip
    lines = ["", "## The whole dataset", "", "Progress and ratings in batches of 10,000;"]
    lines += ["after-load is what the store's practice does next (index, ANALYZE).", ""]
    return lines + _table(
        ["store", "rows", "insert s", "rows/s", "p50 ms", "p95 ms", "p99 ms", "after-load s"],
        rows,
    )


def _queries(results: Results) -> list[str]:
    base = {q.query: q.latency.p50 for q in results.queries if q.store == BASELINE}
    rows = [
        [q.query, q.store, f"{q.rows:,}", _ms(q.latency.p50), _ms(q.latency.max),
         _ratio(q.latency.p50, base.get(q.query))]
        for q in results.queries
    ]  # fmt: skip
    lines = ["", "## Analysts' queries and the player's read", ""]
    lines += ["Wall time in ms until every row arrived; `player_read_alone` is one user's last"]
    lines += ["position in one film, read in turn for known pairs with nothing else running.", ""]
    return lines + _table(["query", "store", "rows", "p50", "max", "p50 vs clickhouse"], rows)


def _mixed(results: Results) -> list[str]:
    rows = []
    for m in results.mixed:
        write, read = Latency.of(m.writes), Latency.of(m.reads)
        errors = "; ".join(m.errors) or "0"
        rows.append(
            [m.store, f"{m.writers}+{m.readers}", f"{m.rows_per_s:,.0f}", *_latency(write),
             f"{m.reads_per_s:,.0f}", *_latency(read), errors]
        )  # fmt: skip
    lines = ["", "## Mixed workload", "", "Writers insert progress batches while readers ask"]
    lines += ["for a user's last position in a film; latencies in ms.", ""]
    header = ["store", "writers+readers", "rows/s written", "write p50", "p95", "p99"]
    header += ["reads/s", "read p50", "p95", "p99", "errors"]
    return lines + _table(header, rows)


def markdown(results: Results) -> str:
    lines = _header(results) + _checks(results) + _writes(results) + _loads(results)
    lines += _queries(results) + _mixed(results)
    lines += ["", "## Charts", ""]
    lines += [f"![{title}]({name})" for name, title in CHARTS.items()]
    return "\n".join(lines) + "\n"


def as_json(results: Results) -> dict[str, Any]:
    data = dataclasses.asdict(results)
    for run, mixed in zip(data["mixed"], results.mixed, strict=True):
        run["write_latency"] = dataclasses.asdict(Latency.of(mixed.writes))
        run["read_latency"] = dataclasses.asdict(Latency.of(mixed.reads))
        run["rows_per_s"], run["reads_per_s"] = mixed.rows_per_s, mixed.reads_per_s
        del run["writes"], run["reads"]
    return data


def write(results: Results, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(as_json(results), indent=2, default=str) + "\n")
    path = out / "results.md"
    path.write_text(markdown(results))
    return path
