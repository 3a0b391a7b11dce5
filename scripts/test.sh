#!/usr/bin/env bash
# Lint, then run every test against a real PostgreSQL and a real Celery worker.
# Lint failures do not hide test results: both run, and either one fails the command.
# The embedded PostgreSQL is stopped afterwards only if this run started it, so a
# `make run` in another terminal keeps its database.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python

embedded_running() {
    local pidfile="${SIB_VAR_DIR:-var}/postgres/postmaster.pid"
    [ -f "$pidfile" ] && kill -0 "$(head -n 1 "$pidfile")" 2>/dev/null
}

started_embedded=false
if [ -z "${DATABASE_URL:-}" ] && ! embedded_running; then
    started_embedded=true
fi
stop_embedded() {
    if $started_embedded; then "$PY" -m sib.database stop || true; fi
}
trap stop_embedded EXIT

make --no-print-directory migrate || exit 1

lint_rc=0
make --no-print-directory lint || lint_rc=$?

"$PY" -m pytest ${PYTEST_ARGS:-}
test_rc=$?
if [ "$test_rc" -eq 5 ]; then
    echo "pytest collected no test: failing." >&2
    test_rc=1
fi

if [ "$lint_rc" -ne 0 ]; then echo "make test: lint failed (see above)." >&2; fi
if [ "$test_rc" -ne 0 ]; then echo "make test: tests failed (exit $test_rc)." >&2; fi
[ "$lint_rc" -eq 0 ] && [ "$test_rc" -eq 0 ]
