# The two commands of README.md: `make up` (install, start the local stack) and `make test`.
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

CHROMIUM := /usr/bin/chromium

.PHONY: install system up down status test check

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) system
	$(BIN)/ugc kafka fetch

# Debian packages: PostgreSQL's server for `ugc bench compare` (started by the harness itself),
# chromium for the console's browser tests (Playwright drives it; nothing is downloaded) and
# wrk, the load generator of `ugc bench api` and `ugc bench registry`.
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
system:
	@missing=""; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	[ -x $(CHROMIUM) ] || missing="$$missing chromium"; \
	command -v wrk >/dev/null || missing="$$missing wrk"; \
	if [ -z "$$missing" ]; then :; \
	elif command -v apt-get >/dev/null; then \
		$(SUDO) apt-get update -q && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	else echo "note: install$$missing (no apt-get here)"; fi

# The main job: the local stack, the contracts registered, demo traffic through the API.
up: install
	$(BIN)/ugc up
	$(BIN)/ugc schemas register
	$(BIN)/ugc demo --events 2000
	$(BIN)/ugc status

down:
	$(BIN)/ugc down

status:
	$(BIN)/ugc status

test: install
	$(BIN)/pytest

check: install
	scripts/check
