"""The console: a web UI for Kafka, the schema registry and the warehouse (`ugc console serve`)."""
