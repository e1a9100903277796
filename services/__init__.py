"""The platform's HTTP services: the ingest API (`services.api`) and, later, the console.
They import `registry.client`; nothing imports them."""
