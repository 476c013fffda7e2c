# The two quick-start commands: `make run` and `make test`. Each creates .venv when missing
# and installs what it needs into it, so both work on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: run test install install-test browser lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .

install-test: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'

# Serve on http://127.0.0.1:5000 with SQLite in instance/ (migrated on start).
run: install
	$(BIN)/python wsgi.py

# Debian's chromium for the browser tests (installed when missing and we may).
browser:
	bash scripts/ensure-chromium.sh

lint: install-test
	$(BIN)/ruff check .

# Lint, then the whole suite: unit, socket, server and browser tests.
test: install-test browser
	$(BIN)/ruff check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-artifacts
