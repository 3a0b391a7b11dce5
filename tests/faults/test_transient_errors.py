"""A write the database refuses for a transient reason answers 503, never 500.

A serialization failure (40001) or a deadlock (40P01) rolls the request back whole; the
client may send it again with the same Idempotency-Key. Found by the fault runner: both
answered a bare 500 before.
"""

import psycopg
import pytest
from django.db import IntegrityError, InterfaceError, OperationalError, connection
from rest_framework.test import APIClient, APIRequestFactory

from payments.models import LedgerTransaction
from sib.api.problems import exception_handler
from tests.payments.ledger_support import make_deal


def _fail_ledger_inserts(code: str, times: int) -> None:
    # The test connection runs as the application role; the trigger is the owner's to add.
    # Rolled back with the test's transaction. A sequence counts the attempts: it does not
    # roll back with the failed request.
    with connection.cursor() as cursor:
        cursor.execute(f'SET ROLE "{connection.settings_dict["OWNER"]["USER"]}"')
        cursor.execute("CREATE SEQUENCE fault_attempts")
        cursor.execute(
            f"""
            CREATE FUNCTION fault_raise() RETURNS trigger LANGUAGE plpgsql
            SECURITY DEFINER SET search_path = public AS $$
            BEGIN
                IF nextval('fault_attempts') <= {times} THEN
                    RAISE EXCEPTION 'injected' USING ERRCODE = '{code}';
                END IF;
                RETURN NEW;
            END $$
            """
        )
        cursor.execute(
            "CREATE TRIGGER fault_raise BEFORE INSERT ON payments_ledger_transaction "
            "FOR EACH ROW EXECUTE FUNCTION fault_raise()"
        )
        cursor.execute("RESET ROLE")  # back to the application's own login role


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["40001", "40P01"])
def test_a_transient_database_failure_answers_503_and_the_retry_succeeds(code):
    deal = make_deal(f"transient-{code.lower()}")
    _fail_ledger_inserts(code, times=1)
    client = APIClient()
    client.force_authenticate(deal.manager)
    url = f"/api/programmes/{deal.programme.pk}/drawdowns/create/"
    body = {"commitment": deal.commitment.pk, "called_on": "2026-02-01", "amount": 700}

    refused = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="k1")

    assert refused.status_code == 503, refused.content
    assert refused["Content-Type"] == "application/problem+json"
    assert refused["Retry-After"] == "1"
    assert refused.json()["status"] == 503
    assert not LedgerTransaction.objects.filter(programme=deal.programme).exists()
    again = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert again.status_code == 201, again.content
    assert LedgerTransaction.objects.filter(programme=deal.programme).count() == 1


def _raised(error: Exception, cause: Exception | None) -> Exception:
    try:
        raise error from cause
    except Exception as raised:
        return raised


@pytest.mark.parametrize(
    ("error", "cause", "status"),
    [
        (OperationalError("terminated"), psycopg.errors.AdminShutdown(), 503),
        (OperationalError("server closed the connection unexpectedly"), None, 503),
        (InterfaceError("connection already closed"), None, 503),
        (OperationalError("canceled"), psycopg.errors.QueryCanceled(), None),
        (IntegrityError("duplicate"), psycopg.errors.UniqueViolation(), None),
    ],
)
def test_only_errors_a_retry_gets_past_are_answered_503(error, cause, status):
    request = APIRequestFactory().post("/api/programmes/1/drawdowns/create/")
    response = exception_handler(_raised(error, cause), {"request": request})
    # None: not an API error, so Django's 500 handler answers (and the error is logged).
    assert (response.status_code if response is not None else None) == status
