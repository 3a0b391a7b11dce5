"""GET /healthz: 200 when the database and the broker answer, 503 naming the check that failed;
"degraded" (still 200) when no worker beats or the outbox lags."""

from datetime import timedelta
from unittest import mock

import pytest
from django.db import OperationalError, connection
from django.utils import timezone

from sib.models import OutboxMessage, WorkerHeartbeat
from sib.upkeep import worker_heartbeat_record
from tests.support import wait_for

pytestmark = pytest.mark.django_db

# Nothing listens on port 1: a connection is refused at once, so the test is fast.
DEAD_REDIS = "redis://127.0.0.1:1/0"
DEAD_POSTGRES_BROKER = "sqla+postgresql+psycopg://postgres@127.0.0.1:1/sib"


@pytest.fixture
def beating_worker() -> None:
    worker_heartbeat_record(hostname="celery@test", pid=1234)


def test_healthz_is_200_ok_when_database_broker_worker_and_outbox_are_well(client, beating_worker):
    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"] == {"database": "ok", "broker": "ok", "worker": "ok", "outbox": "ok"}
    assert 0 <= body["worker_last_seen_seconds"] < 60  # the heartbeat was just recorded
    assert body["outbox_lag_seconds"] == 0


@pytest.mark.parametrize("broker_url", [DEAD_REDIS, DEAD_POSTGRES_BROKER])
def test_healthz_is_503_naming_the_broker_when_it_is_unreachable(
    client, monkeypatch, broker_url, beating_worker
):
    # Celery reads the broker URL from the environment before its own settings.
    monkeypatch.setenv("CELERY_BROKER_URL", broker_url)
    monkeypatch.delenv("CELERY_BROKER_WRITE_URL", raising=False)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["checks"] == {
        "database": "ok",
        "broker": "unavailable",
        "worker": "ok",
        "outbox": "ok",
    }


def test_healthz_is_503_naming_the_database_when_it_fails(client):
    with mock.patch.object(connection, "cursor", side_effect=OperationalError("down")):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        # Without the database, whether the worker beats is not known.
        "checks": {
            "database": "unavailable",
            "broker": "ok",
            "worker": "unknown",
            "outbox": "unknown",
        },
        "worker_last_seen_seconds": None,
        "outbox_lag_seconds": None,
    }


def test_healthz_is_degraded_but_200_when_no_worker_ever_beat(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["checks"]["worker"] == "silent"
    assert response.json()["worker_last_seen_seconds"] is None


def test_healthz_is_degraded_when_the_last_heartbeat_is_older_than_the_threshold(
    client, settings, beating_worker
):
    settings.HEALTH_WORKER_SILENCE = 60
    WorkerHeartbeat.objects.update(beat_at=timezone.now() - timedelta(seconds=61))

    body = client.get("/healthz").json()

    assert body["status"] == "degraded"
    assert body["checks"]["worker"] == "silent"
    assert body["worker_last_seen_seconds"] >= 61


def test_healthz_is_degraded_when_a_message_waits_longer_than_the_threshold(
    client, settings, beating_worker
):
    settings.HEALTH_OUTBOX_LAG = 600
    OutboxMessage.objects.create(
        task_name="sib.probe", created_at=timezone.now() - timedelta(seconds=601)
    )

    body = client.get("/healthz").json()

    assert body["status"] == "degraded"
    assert body["checks"] == {"database": "ok", "broker": "ok", "worker": "ok", "outbox": "lagging"}
    assert body["outbox_lag_seconds"] >= 601


def test_healthz_outbox_lag_ignores_completed_and_failed_messages_and_recent_ones(
    client, settings, beating_worker
):
    settings.HEALTH_OUTBOX_LAG = 600
    long_ago = timezone.now() - timedelta(hours=2)
    OutboxMessage.objects.create(task_name="sib.probe", created_at=long_ago, completed_at=long_ago)
    OutboxMessage.objects.create(task_name="sib.probe", created_at=long_ago, failed_at=long_ago)
    OutboxMessage.objects.create(
        task_name="sib.probe", created_at=timezone.now() - timedelta(seconds=30)
    )

    body = client.get("/healthz").json()

    assert body["status"] == "ok"
    assert 30 <= body["outbox_lag_seconds"] < 600


def test_healthz_needs_no_login_and_only_answers_get(client):
    assert client.post("/healthz").status_code == 405


@pytest.mark.worker
def test_a_running_worker_makes_healthz_ok_through_its_relay_heartbeat(client, worker):
    # The session worker runs beat, which sends the relay every OUTBOX_RELAY_INTERVAL (1 s).
    def healthy() -> dict | None:
        body = client.get("/healthz").json()
        return body if body["status"] == "ok" else None

    body = wait_for(healthy, timeout=30)

    assert body["checks"]["worker"] == "ok"
    assert WorkerHeartbeat.objects.filter(hostname__startswith="celery@").exists()
