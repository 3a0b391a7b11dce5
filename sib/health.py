"""GET /healthz: is the database reachable, and the broker? 200 when both are, else 503."""

from celery import current_app
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET
from sqlalchemy import text

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


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Report each dependency as "ok" or "unavailable"; 503 if any is unavailable."""
    checks = {"database": _database_ok(), "broker": _broker_ok()}
    healthy = all(checks.values())
    return JsonResponse(
        {
            "status": "ok" if healthy else "unavailable",
            "checks": {name: "ok" if ok else "unavailable" for name, ok in checks.items()},
        },
        status=200 if healthy else 503,
    )
