# The two commands of README.md: `make up` (install, start the local stack) and `make test`.
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install up down status test check

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)
	$(BIN)/ugc kafka fetch

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
