"""The event contracts of `schemas/` and their toolchain: the platform's conventions
(`conventions`), reading and checking the files (`loading`, `inlining`, `problems`), the
field-level `diff`, `registration` with any Confluent-compatible registry, and the
`ugc schemas` command (`cli`, `cli_output`)."""
