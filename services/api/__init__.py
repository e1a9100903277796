"""The ingest API: typed JSON events over HTTP, validated against the registry's latest
schema for each event type, written to Kafka in the Confluent wire format, and answered only
once Kafka acknowledged them. `services.api.app.create_app` is the entry point."""
