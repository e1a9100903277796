"""`ugc bench warehouse` runs end to end on a small input and reports every figure (the
figures themselves are measured by the benchmark, never asserted by tests)."""

from __future__ import annotations

import json
import subprocess
import sys


def test_bench_warehouse_reports_every_figure_on_a_small_run() -> None:
    # A subprocess: the benchmark opens chdb in process, and this process may hold a
    # chdb directory of its own (chdb opens one per process).
    result = subprocess.run(
        [sys.executable, "-m", "ugc", "bench", "warehouse", "--rows", "3000", "--repeat", "1",
         "--json"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    assert figures["rows"] == 3000
    for key in (
        "a_insert_in_process_s",
        "b_insert_through_server_s",
        "b_raw_insert_iterable_s",
        "b_raw_insert_bytes_s",
        "c_select_in_process_s",
        "d_select_through_server_s",
        "d_stream_through_server_s",
        "server_peak_rss_mib",
    ):
        assert figures[key] > 0, key
