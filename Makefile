# The two quick-start commands: `make run` and `make test`. Each creates .venv when missing
# and installs what it needs into it, so both work on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

VENDOR := chatapp/static/vendor

.PHONY: run wheel test install install-test vendor translations browser services lint bench bench-messaging bench-search bench-flood bench-scale-out clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python vendor
	$(BIN)/python -m pip install --quiet -e '.[postgres,redis]'
	$(BIN)/pybabel compile --statistics -d chatapp/translations 2>&1 | tail -1

install-test: $(BIN)/python vendor
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/pybabel compile --statistics -d chatapp/translations 2>&1 | tail -1

# After changing text in templates or code: update the catalogs, translate, commit the .po.
translations: install-test
	$(BIN)/pybabel extract --no-location -F babel.cfg -k _l -o chatapp/translations/messages.pot .
	$(BIN)/pybabel update -i chatapp/translations/messages.pot -d chatapp/translations --no-fuzzy-matching

# The Socket.IO browser client, pinned in package.json, served by the app itself (no CDN).
vendor: $(VENDOR)/socket.io.min.js

$(VENDOR)/socket.io.min.js: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	mkdir -p $(VENDOR)
	cp node_modules/socket.io-client/dist/socket.io.min.js $(VENDOR)/

# Serve on http://127.0.0.1:5000 with SQLite in instance/ (migrated on start).
run: install
	$(BIN)/python wsgi.py

# A wheel in dist/ that installs everything (pip install dist/chatapp-*.whl): the vendored
# Socket.IO client and the compiled catalogs are built first, the migrations are packaged.
wheel: install
	rm -rf build
	$(BIN)/python -m pip wheel --quiet --no-deps -w dist .

# Debian's chromium for the browser tests (installed when missing and we may).
browser:
	bash scripts/ensure-chromium.sh

# nginx and redis-server, which the scale-out tests start themselves (installed when missing).
services:
	bash scripts/ensure-services.sh

lint: install-test
	$(BIN)/ruff check .

# Lint, then the whole suite once per database engine in TEST_DATABASES: on SQLite every test
# (unit, socket, server and browser); on PostgreSQL (CHATAPP_TEST_POSTGRES) all but the
# SQLite-only ones (tests/conftest.py). Both engines run even when the first fails.
TEST_DATABASES ?= sqlite postgresql

test: install-test browser services
	$(BIN)/ruff check .
	status=0; for engine in $(TEST_DATABASES); do \
	    echo "== tests on $$engine"; \
	    $(BIN)/python -m pytest --database $$engine $(PYTEST_ARGS) || status=1; \
	done; exit $$status

# Benchmarks (bench/README.md): figures are printed and written to bench/out/.
# The suite: chatapp on SQLite and PostgreSQL beside raw Flask-SocketIO and raw Node socket.io
# servers, with ratios (BENCH_ARGS, e.g. --quick, --only fanout,idle, --engine sqlite).
BENCH_ARGS ?=

bench: install-test
	$(BIN)/python bench/suite.py $(BENCH_ARGS)

bench-messaging: install-test
	$(BIN)/python bench/messaging.py

bench-search: install-test
	$(BIN)/python bench/search.py

bench-flood: install-test
	$(BIN)/python bench/flood.py

bench-scale-out: install-test services
	$(BIN)/python bench/scale_out.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-artifacts node_modules $(VENDOR)
