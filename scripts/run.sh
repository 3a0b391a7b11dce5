#!/usr/bin/env bash
# Serve the app with a Celery worker beside it; Ctrl-C stops everything this script started.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
# SIB_ prefix: HOST is often already set by the shell or the container.
HOST=${SIB_HOST:-127.0.0.1}
PORT=${SIB_PORT:-8000}
mkdir -p var/log

worker_pid=""
cleanup() {
    trap - INT TERM EXIT
    echo
    echo "Stopping..."
    if [ -n "$worker_pid" ] && kill -0 "$worker_pid" 2>/dev/null; then
        kill -TERM "$worker_pid" 2>/dev/null || true
        wait "$worker_pid" 2>/dev/null || true
    fi
    if [ -z "${DATABASE_URL:-}" ]; then
        "$PY" -m sib.database stop || true
    fi
    echo "Stopped."
}
trap cleanup INT TERM EXIT

"$PY" -m celery -A sib worker -B --loglevel=INFO --concurrency=2 \
    -s var/celerybeat-schedule >var/log/worker.log 2>&1 &
worker_pid=$!

cat <<MSG

  Social impact bond outcomes ledger
  Portal     http://$HOST:$PORT/
  Admin      http://$HOST:$PORT/admin/
  API docs   http://$HOST:$PORT/api/docs/
  Health     http://$HOST:$PORT/healthz
  Worker log var/log/worker.log

  Demo logins
MSG
"$PY" manage.py seed_demo --list-users
echo
"$PY" manage.py runserver --insecure --noreload "$HOST:$PORT"
