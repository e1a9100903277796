"""What the API knows about event types: the registry's latest schemas (`catalog`) and the
JSON examples shown to clients (`examples`)."""
