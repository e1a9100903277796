"""A real Apache Kafka broker for laptops, tests and CI: jars from Maven Central, one
combined KRaft broker+controller bound to loopback, data kept under a directory of ours."""
