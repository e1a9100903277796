"""The storage benchmark: ClickHouse against PostgreSQL, DuckDB and Vertica on the UGC workload.

`ugc bench compare` generates the film-progress dataset from a seed (`compare.dataset`),
loads it into each store with that store's own bulk method (`compare.stores`), checks that
every store answers the analysts' queries identically (`compare.answers`), then times
loads, queries and a mixed read/write workload (`compare.workload`) and writes a Markdown
report with PNG charts (`compare.report`, `compare.charts`). `compare/NOTES.md` says what
is measured and what is not.
"""

STORES = ("clickhouse", "postgresql", "duckdb", "vertica")
