"""The API's routes, one blueprint per resource; handlers parse, call the service, answer."""
