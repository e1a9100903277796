"""Event contracts and their registry: `registry.client` is the protocol library every other
part imports (wire framing, models, HTTP client, serdes, errors, an in-memory fake);
`registry.server` is the Confluent-compatible service; `registry.cli` is `ugc schemas`."""
