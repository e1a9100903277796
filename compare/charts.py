"""The run drawn as PNG charts with matplotlib (headless Agg backend), one file per question."""

from __future__ import annotations

from pathlib import Path

import matplotlib as mpl

mpl.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from compare.runner import Results
from compare.workload import Latency


def _by_batch(results: Results, figure: str, metric: str, ylabel: str, out: Path) -> None:
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for store in dict.fromkeys(w.store for w in results.writes):
        runs = sorted((w for w in results.writes if w.store == store), key=lambda w: w.batch)
        values = [w.latency.p50 if metric == "p50" else w.rows_per_s for w in runs]
        ax.plot([w.batch for w in runs], values, marker="o", label=store)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("rows per insert")
    ax.set_ylabel(ylabel)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    ax.set_title(f"{ylabel}, {results.plan.rows:,}-row dataset")
    fig.tight_layout()
    fig.savefig(out / figure, dpi=110)
    plt.close(fig)


def _grouped(
    groups: list[str], series: dict[str, list[float]], ylabel: str, title: str, path: Path
) -> None:
    fig, ax = plt.subplots(figsize=(max(7, 1.6 * len(groups)), 4.5))
    width = 0.8 / max(1, len(series))
    positions = np.arange(len(groups))
    for i, (label, values) in enumerate(series.items()):
        ax.bar(positions + i * width, values, width, label=label)
    ax.set_xticks(positions + width * (len(series) - 1) / 2, groups, rotation=15, ha="right")
    ax.set_yscale("log")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, axis="y", which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def draw(results: Results, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    _by_batch(results, "write_latency.png", "p50", "insert latency p50, ms", out)
    _by_batch(results, "write_throughput.png", "rows", "rows/s", out)
    queries = list(dict.fromkeys(q.query for q in results.queries))
    stores = list(dict.fromkeys(q.store for q in results.queries))
    p50 = {(q.store, q.query): q.latency.p50 for q in results.queries}
    _grouped(
        queries,
        {s: [p50[(s, q)] for q in queries] for s in stores},
        "p50 latency, ms (log)",
        "Analysts' queries",
        out / "query_latency.png",
    )
    kinds = ["write p50", "write p99", "read p50", "read p99"]
    series = {}
    for m in results.mixed:
        write, read = Latency.of(m.writes), Latency.of(m.reads)
        series[m.store] = [write.p50, write.p99, read.p50, read.p99]
    _grouped(kinds, series, "ms (log)", "Mixed workload latencies", out / "mixed.png")
    return [out / name for name in ("write_latency.png", "write_throughput.png",
                                    "query_latency.png", "mixed.png")]  # fmt: skip
