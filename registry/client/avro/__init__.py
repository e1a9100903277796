"""One typed Avro tree for the whole platform: `parse` (schema text or JSON → tree, strict
for input, lenient for what a store holds), `types` (the nodes and the `Visitor` every walker
is written on), `names` (Avro's naming rules), `canonical` (Java Avro's identity text),
`defaults` (which value may be a field's default) and `export` (fastavro's self-contained
JSON). The registry server, the contracts, the API and the ETL all import it from here."""
