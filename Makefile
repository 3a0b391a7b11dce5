# make run  — set everything up and serve the app (Ctrl-C stops it)
# make test — set everything up and run every test (lint first)
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: run test lint setup venv db migrate demo test-only clean-var

run: setup demo
	@scripts/run.sh

test: setup lint test-only

test-only:
	@$(PY) -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest ran no test: failing."; exit 1; fi; exit $$rc

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy sib outcomes payments reports

setup: venv migrate

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || { p=$$(scripts/find-python.sh) && "$$p" -m venv $(VENV); }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

# Starts the embedded PostgreSQL under var/ unless DATABASE_URL names a server.
migrate: venv
	$(PY) manage.py migrate --noinput
	$(PY) manage.py compilemessages --ignore=.venv -v 0 2>/dev/null || true

demo: migrate
	$(PY) manage.py seed_demo

clean-var:
	-$(PY) -m sib.database stop
	rm -rf var
