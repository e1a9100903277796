"""The API's catalog of event types: the registry's latest schemas (`event_types`) and the
JSON examples shown to clients (`examples`)."""
