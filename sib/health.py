"""GET /healthz: can this server work, and is the work behind it getting done?

- `database` and `broker`: "ok" or "unavailable". Either unavailable: status
  "unavailable", HTTP 503 (take this server out of rotation).
- `worker`: "ok" when a worker ran the outbox relay (sib.upkeep's heartbeat) within
  HEALTH_WORKER_SILENCE seconds, else "silent".
- `outbox`: "ok" unless a message has waited more than HEALTH_OUTBOX_LAG seconds without
  completing ("lagging").
Either of those: status "degraded", HTTP 200 — the web server still serves; what it
queued waits. Monitoring reads the body. The figures behind them are in the answer too.
"""

from datetime import datetime

from celery import current_app
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET
from sqlalchemy import text

from sib.upkeep import outbox_oldest_waiting, worker_heartbeat_latest

BROKER_TIMEOUT_SECONDS = 3


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        return False


def _broker_ok() -> bool:
    try:
        with current_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)
            # kombu's SQLAlchemy transport "connects" without touching the database: only a
            # query proves it answers. Other transports (Redis, AMQP) connected just above.
            session = getattr(conn.default_channel, "session", None)
            if session is not None:
                try:
                    session.execute(text("SELECT 1"))
                finally:
                    session.close()
        return True
    except Exception:
        return False


def _seconds_since(moment: datetime | None, now: datetime) -> int | None:
    return None if moment is None else max(0, int((now - moment).total_seconds()))


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Report each check; 503 if the database or broker is unavailable."""
    database = _database_ok()
    checks = {
        "database": "ok" if database else "unavailable",
        "broker": "ok" if _broker_ok() else "unavailable",
        "worker": "unknown",
        "outbox": "unknown",
    }
    figures: dict[str, int | None] = {"worker_last_seen_seconds": None, "outbox_lag_seconds": None}
    if database:
        now = timezone.now()
        silence = _seconds_since(worker_heartbeat_latest(), now)
        lag = _seconds_since(outbox_oldest_waiting(), now) or 0
        figures = {"worker_last_seen_seconds": silence, "outbox_lag_seconds": lag}
        quiet = silence is None or silence > settings.HEALTH_WORKER_SILENCE
        checks["worker"] = "silent" if quiet else "ok"
        checks["outbox"] = "lagging" if lag > settings.HEALTH_OUTBOX_LAG else "ok"
    if "unavailable" in (checks["database"], checks["broker"]):
        status = "unavailable"
    elif checks["worker"] != "ok" or checks["outbox"] != "ok":
        status = "degraded"
    else:
        status = "ok"
    return JsonResponse(
        {"status": status, "checks": checks, **figures},
        status=503 if status == "unavailable" else 200,
    )
