"""The `ugc` command line and the local stack: process supervision, the local Kafka broker,
settings shared by every process, and access to the ClickHouse warehouse.

The product's own parts live beside this package: `registry` (contracts and the
Confluent-compatible registry), `services` (ingest API, console) and `etl` (Kafka to
ClickHouse). This package wires them into one command and one local stack.
"""
