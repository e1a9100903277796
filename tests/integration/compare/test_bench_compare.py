"""`ugc bench compare --quick` end to end: real ClickHouse (in-process chdb, and over HTTP
through `ugc warehouse serve`), a real PostgreSQL started by the harness, DuckDB; the report,
the charts and the cross-check."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.warehouse import WarehouseProcess

UGC = Path(sys.executable).with_name("ugc")
PNG = b"\x89PNG\r\n\x1a\n"
QUESTIONS = [
    "watch_time_per_film",
    "last_position_per_user_film",
    "daily_active_users",
    "completion_rate_per_film",
    "top_films_by_rating",
    "player_reads",
]


Run = tuple[subprocess.CompletedProcess[str], Path]


def _compare(out: Path, *options: str) -> Run:
    argv = [str(UGC), "bench", "compare", "--quick", "--out", str(out), *options]
    env = {k: v for k, v in os.environ.items() if not k.startswith("UGC_COMPARE_")}
    result = subprocess.run(argv, capture_output=True, text=True, timeout=240, env=env, check=False)
    return result, out


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """Every store; ClickHouse in a fresh in-process chdb directory (the default)."""
    return _compare(tmp_path_factory.mktemp("compare") / "report")


def test_clickhouse_over_the_warehouse_server_s_http_dsn_answers_like_postgresql(
    warehouse_server: WarehouseProcess, tmp_path: Path
) -> None:
    result, out = _compare(
        tmp_path / "report", "--stores", "clickhouse,postgresql",
        "--clickhouse-dsn", warehouse_server.url,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    text = (out / "results.md").read_text()
    assert "| clickhouse | ClickHouse 26." in text and "(HTTP)" in text
    assert "into MergeTree (a ClickHouse HTTP endpoint)" in text
    data = json.loads((out / "results.json").read_text())
    assert [a["query"] for a in data["agreements"]] == QUESTIONS
    assert all(a["stores"] == ["clickhouse", "postgresql"] for a in data["agreements"])


def test_quick_run_finishes_and_reports_every_store(
    quick_run: Run,
) -> None:
    result, out = quick_run
    assert result.returncode == 0, result.stderr[-2000:]
    text = (out / "results.md").read_text()
    assert text == result.stdout.split("report: ")[0].rstrip("\n") + "\n"
    assert "Command: `ugc bench compare --quick --out " in text
    assert "| clickhouse | ClickHouse 26." in text
    assert "| postgresql | PostgreSQL 15." in text
    assert "| vertica | not run: no Vertica DSN given" in text
    for section in ("## Writes by batch size", "## Analysts' queries", "## Mixed workload"):
        assert section in text


def test_every_answer_was_identical_in_clickhouse_and_postgresql(
    quick_run: Run,
) -> None:
    _, out = quick_run
    data = json.loads((out / "results.json").read_text())
    agreements = {a["query"]: a for a in data["agreements"]}
    assert list(agreements) == QUESTIONS
    for agreement in agreements.values():
        assert {"clickhouse", "postgresql"} <= set(agreement["stores"])
        assert agreement["rows"] > 0
    assert agreements["top_films_by_rating"]["rows"] == 10
    assert agreements["daily_active_users"]["rows"] >= 30


def test_every_store_that_ran_has_figures_for_each_batch_size_query_and_the_mixed_load(
    quick_run: Run,
) -> None:
    _, out = quick_run
    data = json.loads((out / "results.json").read_text())
    ran = [s["name"] for s in data["statuses"] if s["ran"]]
    assert {"clickhouse", "postgresql"} <= set(ran)
    for store in ran:
        sizes = sorted(w["batch"] for w in data["writes"] if w["store"] == store)
        assert sizes == [10, 100, 1_000, 10_000]
        queries = [q for q in data["queries"] if q["store"] == store]
        counts = {q["query"]: q["latency"]["count"] for q in queries}
        assert counts == {**dict.fromkeys(QUESTIONS[:5], 1), "player_read_alone": 20}
        mixed = next(m for m in data["mixed"] if m["store"] == store)
        assert mixed["errors"] == []
        assert mixed["write_latency"]["count"] > 0 and mixed["read_latency"]["count"] > 0
    loads = {w["store"]: w["rows"] for w in data["loads"]}
    assert loads["clickhouse"] == loads["postgresql"] == 20_000 + 1_000


def test_charts_are_png_images(quick_run: Run) -> None:
    _, out = quick_run
    for name in ("write_latency", "write_throughput", "query_latency", "mixed"):
        image = (out / f"{name}.png").read_bytes()
        assert image.startswith(PNG) and len(image) > 10_000
        assert f"]({name}.png)" in (out / "results.md").read_text()
