"""The request id is on every log line of a request, the response's own line included."""

import logging
import re

import pytest
from rest_framework.test import APIClient

from sib.observability import RequestIdFilter, current_request_id

pytestmark = pytest.mark.django_db


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.addFilter(RequestIdFilter())
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def captured():
    handler = _Capture()
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


def test_the_line_django_logs_for_a_4xx_response_carries_the_request_id(captured):
    response = APIClient().get("/api/programmes/", HTTP_X_REQUEST_ID="trace-4xx-1")
    assert response.status_code == 401
    [record] = [r for r in captured.records if r.getMessage().startswith("Unauthorized")]
    assert record.request_id == "trace-4xx-1"


def test_a_generated_request_id_is_on_the_response_log_line_too(captured):
    response = APIClient().get("/api/no-such-thing/")
    assert response.status_code == 404
    [record] = [r for r in captured.records if r.getMessage().startswith("Not Found")]
    assert record.request_id == response["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", record.request_id)


def test_the_request_id_is_forgotten_once_the_response_is_closed():
    APIClient().get("/healthz", HTTP_X_REQUEST_ID="gone-after")
    assert current_request_id() is None


@pytest.mark.parametrize("bad", ["x" * 65, "a b", "<script>", "id\u00e9"])
def test_an_invalid_client_request_id_never_reaches_the_audit_context(bad, django_user_model):
    import pghistory.models

    staff = django_user_model.objects.create_user("rid-staff", password="pw-1", is_staff=True)
    client = APIClient()
    client.force_authenticate(staff)
    response = client.post(
        "/api/programmes/create/",
        {
            "name": "Audited",
            "slug": "audited",
            "currency": "EUR",
            "start_date": "2026-01-01",
            "end_date": "2027-01-01",
            "contract_cap": 100,
        },
        format="json",
        HTTP_X_REQUEST_ID=bad,
    )
    assert response.status_code == 201, response.content
    assert response["X-Request-ID"] != bad
    contexts = [c.metadata.get("request_id") for c in pghistory.models.Context.objects.all()]
    # The creator's membership is audited, under the id the server made instead.
    assert contexts == [response["X-Request-ID"]]
