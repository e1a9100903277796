"""The schema registry: `registry.client` is the protocol library every other part imports
(wire framing, models, the typed Avro tree, HTTP client, serdes, errors, an in-memory fake);
`registry.server` is the Confluent-compatible service."""
