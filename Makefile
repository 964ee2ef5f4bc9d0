# Pingan developer tasks. `make demo` and `make test` install everything they need first.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
PYTEST_WORKERS ?= 2

.PHONY: setup demo run test test-fast test-sqlite test-postgres fuzz lint typecheck migrate bench clean

setup: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

demo: setup  ## install, create the SQLite demo district and serve the command centre
	$(VENV)/bin/pingan demo

run: setup
	$(VENV)/bin/pingan serve

migrate: setup
	$(VENV)/bin/pingan db upgrade

lint: setup
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/lint-imports
	$(PY) scripts/lint_scope.py

typecheck: setup
	$(VENV)/bin/mypy

test: lint typecheck test-sqlite test-postgres  ## the whole suite (PostgreSQL too when PINGAN_TEST_DATABASE_URL is set)

test-fast: setup  ## the edit-test loop: SQLite, no browser, no fuzzing, no access matrix or long property runs
	env -u PINGAN_TEST_DATABASE_URL $(PY) -m pytest -n $(PYTEST_WORKERS) -q -m "not slow and not e2e and not fuzz and not benchmark"

test-sqlite: setup
	env -u PINGAN_TEST_DATABASE_URL $(PY) -m pytest -n $(PYTEST_WORKERS) -q

test-postgres: setup
	@if [ -n "$$PINGAN_TEST_DATABASE_URL" ]; then \
		echo "== again on PostgreSQL ($$PINGAN_TEST_DATABASE_URL)"; \
		$(PY) -m pytest -n $(PYTEST_WORKERS) -q -m "not benchmark and not e2e and not fuzz"; \
	else echo "PINGAN_TEST_DATABASE_URL not set: PostgreSQL run skipped"; fi

fuzz: setup  ## schemathesis over the OpenAPI document only (also part of test-sqlite)
	$(PY) -m pytest tests/fuzz -n $(PYTEST_WORKERS) -q -s

bench: setup  ## benchmarks: figures printed as ratios against references measured in the same run
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk >/dev/null)
	$(PY) -m pytest bench -m benchmark -s -q -p no:xdist  # ends with the table of every target; non-zero when one is missed

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache
