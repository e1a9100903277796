"""The Confluent Schema Registry-compatible service, storing its state in Kafka `_schemas`."""
