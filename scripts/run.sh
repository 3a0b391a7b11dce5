#!/usr/bin/env bash
# Serve the app with a Celery worker beside it; Ctrl-C stops everything this script started.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
# SIB_ prefix: HOST is often already set by the shell or the container.
HOST=${SIB_HOST:-127.0.0.1}
PORT=${SIB_PORT:-8000}
mkdir -p var/log
# As a deployment does (docs/operations.md, "Static files"); quick once collected.
"$PY" manage.py collectstatic --noinput -v 0

worker_pid=""
server_pid=""
stop_pid() {
    if [ -n "$1" ] && kill -0 "$1" 2>/dev/null; then
        kill -TERM "$1" 2>/dev/null || true
        wait "$1" 2>/dev/null || true
    fi
}
cleanup() {
    trap - INT TERM EXIT
    echo
    echo "Stopping..."
    stop_pid "$server_pid"
    # TERM is the worker's warm shutdown: it finishes the task in hand, then exits.
    stop_pid "$worker_pid"
    if [ -z "${DATABASE_URL:-}" ]; then
        "$PY" -m sib.database stop || true
    fi
    echo "Stopped."
}
trap cleanup EXIT
trap 'exit 0' INT TERM

# No -Q: one worker consumes every queue (sib.settings, CELERY_TASK_QUEUES); a deployment
# runs workers per queue and one beat (docs/deploy.md).
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

# Both children run in the background so that this shell handles Ctrl-C at once (a
# foreground child would delay the trap until it exits) and notices either one dying.
"$PY" manage.py runserver --insecure --noreload "$HOST:$PORT" &
server_pid=$!
# Poll rather than `wait -n`, which macOS's bash 3.2 lacks; `wait` on the sleep lets the
# trap run as soon as a signal arrives.
while kill -0 "$worker_pid" 2>/dev/null && kill -0 "$server_pid" 2>/dev/null; do
    sleep 1 &
    wait $! || true
done
if kill -0 "$worker_pid" 2>/dev/null; then
    echo "The web server stopped." >&2
else
    echo "The worker stopped; see var/log/worker.log." >&2
fi
exit 1
