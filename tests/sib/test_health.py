"""GET /healthz: 200 when the database and the broker answer, 503 naming the check that failed."""

from unittest import mock

import pytest
from django.db import OperationalError, connection

pytestmark = pytest.mark.django_db

# Nothing listens on port 1: a connection is refused at once, so the test is fast.
DEAD_REDIS = "redis://127.0.0.1:1/0"
DEAD_POSTGRES_BROKER = "sqla+postgresql+psycopg://postgres@127.0.0.1:1/sib"


def test_healthz_is_200_when_database_and_broker_answer(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "broker": "ok"},
    }


@pytest.mark.parametrize("broker_url", [DEAD_REDIS, DEAD_POSTGRES_BROKER])
def test_healthz_is_503_naming_the_broker_when_it_is_unreachable(client, monkeypatch, broker_url):
    # Celery reads the broker URL from the environment before its own settings.
    monkeypatch.setenv("CELERY_BROKER_URL", broker_url)
    monkeypatch.delenv("CELERY_BROKER_WRITE_URL", raising=False)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "ok", "broker": "unavailable"},
    }


def test_healthz_is_503_naming_the_database_when_it_fails(client):
    with mock.patch.object(connection, "cursor", side_effect=OperationalError("down")):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "unavailable", "broker": "ok"}


def test_healthz_needs_no_login_and_only_answers_get(client):
    assert client.post("/healthz").status_code == 405
