# make run  — set everything up and serve the app (Ctrl-C stops what it started)
# make test — set everything up, lint, then run every test
# make test-fast — the quick selection: no worker, browser or slow test (CONTRIBUTING.md)
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
LOCK := requirements.lock
PYTEST_ARGS ?=
export PYTEST_ARGS

.PHONY: run test test-fast lint setup venv lock migrate demo test-only clean-var browser

run: setup demo
	@scripts/run.sh

test: venv browser
	@scripts/test.sh

# The portal's browser tests drive Debian's chromium; without it they are skipped (and say so).
browser:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] \
		&& apt-get update -qq \
		&& DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
		|| echo "chromium is not installed: the browser tests will be skipped."

# The suite alone, on whatever DATABASE_URL / CELERY_BROKER_URL name (CI's second pass).
test-only: venv
	@$(PY) -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no test: failing." >&2; exit 1; fi; exit $$rc

# The quick selection while working: no real worker, no browser, no slow test. Not a
# substitute for `make test`, which CI runs (every marker).
FAST_MARKERS := not worker and not browser and not slow
test-fast: venv
	@$(PY) -m pytest -m "$(FAST_MARKERS)" $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no test: failing." >&2; exit 1; fi; exit $$rc

# Every tool runs even if an earlier one failed, so one run lists every problem.
lint: venv
	@rc=0; \
	$(VENV)/bin/ruff check . || rc=1; \
	$(VENV)/bin/ruff format --check . || rc=1; \
	$(VENV)/bin/mypy sib outcomes payments reports || rc=1; \
	exit $$rc

setup: venv migrate

venv: $(VENV)/.installed

# Exactly the locked versions, each checked against its hash, then the project itself
# (--no-deps: everything it needs is in the lock, with the dev and quickstart extras).
# Re-runs whenever pyproject.toml or the lock changes.
$(VENV)/.installed: pyproject.toml $(LOCK)
	@test -x $(PY) || { p=$$(scripts/find-python.sh) && "$$p" -m venv $(VENV); }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r $(LOCK)
	$(PY) -m pip install --quiet --no-deps -e .
	@touch $@

# After changing a dependency in pyproject.toml: resolve again for every platform and
# Python >= 3.12, with hashes, then commit both files. uv is a tool here, not locked.
lock:
	@test -x $(PY) || { p=$$(scripts/find-python.sh) && "$$p" -m venv $(VENV); }
	$(PY) -m pip install --quiet uv
	$(VENV)/bin/uv pip compile --quiet --universal --generate-hashes --python-version 3.12 \
		--extra dev --extra quickstart -o $(LOCK) pyproject.toml

# Starts the embedded PostgreSQL under var/ unless DATABASE_URL names a server.
migrate: venv
	$(PY) manage.py migrate --noinput
	@if command -v msgfmt >/dev/null; then $(PY) manage.py compilemessages --ignore=.venv -v 0; \
	else echo "gettext (msgfmt) is not installed: the portal shows English until it is." >&2; fi

demo: migrate
	$(PY) manage.py seed_demo

clean-var:
	-$(PY) -m sib.database stop
	rm -rf var
