"""The registry protocol library: what the API, the ETL, the console and the CLI import.
It never imports `registry.server`."""
