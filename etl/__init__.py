"""The ETL: Kafka topics `ugc.<event_type>` → versioned ClickHouse tables, one view per type.

See etl/NOTES.md for the commit protocol and the evolution rules."""
