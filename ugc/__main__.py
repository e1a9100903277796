"""`python -m ugc` is the `ugc` command."""

from ugc.cli import main

main()
