"""Request bodies capped per kind before they are read (settings, README "Configuration")."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.test import APIClient

from outcomes.models import ImportBatch
from sib.request_limits import body_limit
from tests.outcomes.conftest import Cast
from tests.outcomes.test_csv_import import GOOD, HEADER

pytestmark = pytest.mark.django_db
PROBLEM = "application/problem+json"


def _import(client, cast: Cast, content: bytes):  # type: ignore[no-untyped-def]
    return client.post(
        f"/api/programmes/{cast.programme.pk}/results/import/",
        {"file": SimpleUploadedFile("r.csv", content, "text/csv")},
        format="multipart",
        HTTP_ACCEPT_LANGUAGE="en",
    )


def test_an_import_over_its_cap_is_a_413_problem_and_nothing_is_read(cast, settings):
    settings.SIB_MAX_IMPORT_BYTES = 1000
    client = cast.client(cast.evaluator)
    response = _import(client, cast, (HEADER + GOOD * 40).encode())
    assert response.status_code == 413
    assert response["Content-Type"] == PROBLEM
    assert "1,000 bytes" in response.json()["detail"]
    assert not ImportBatch.objects.exists()


def test_an_import_within_its_cap_loads_even_above_the_json_cap(cast, settings):
    settings.SIB_MAX_BODY_BYTES = 500
    settings.SIB_MAX_IMPORT_BYTES = 100_000
    rows = "".join(f"P-{i:03d},in-work-6m,c1,2026-h1,2026-03-01\n" for i in range(40))
    response = _import(cast.client(cast.evaluator), cast, (HEADER + rows).encode())
    assert response.status_code == 201, response.content[:300]


def test_evidence_over_its_cap_is_a_413(cast, settings):
    settings.SIB_MAX_EVIDENCE_BYTES = 100
    response = cast.client(cast.evaluator).post(
        f"/api/programmes/{cast.programme.pk}/results/1/evidence/",
        {"file": SimpleUploadedFile("e.pdf", b"%PDF-" + b"x" * 500, "application/pdf")},
        format="multipart",
    )
    assert response.status_code == 413


def test_the_portal_answers_a_page_not_a_problem(cast, settings):
    settings.SIB_MAX_IMPORT_BYTES = 100
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(cast.evaluator)
    response = client.post(
        f"/programmes/{cast.programme.pk}/results/import/",
        {"file": SimpleUploadedFile("r.csv", (HEADER + GOOD * 10).encode(), "text/csv")},
    )
    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/html")
    assert b"too large" in response.content


def test_a_form_over_djangos_own_limit_is_a_413_not_an_html_400(cast, settings):
    # A urlencoded body is read by Django itself (DATA_UPLOAD_MAX_MEMORY_SIZE); when the
    # middleware's cap is higher than Django's, Django's refusal is still a 413.
    settings.SIB_MAX_BODY_BYTES = 10_000_000
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client = APIClient()
    client.force_authenticate(cast.evaluator)
    response = client.post(
        f"/api/programmes/{cast.programme.pk}/results/submit/",
        "note=" + "x" * 5000,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 413
    assert response["Content-Type"] == PROBLEM


def test_the_caps_are_chosen_by_url(settings, rf):
    settings.SIB_MAX_BODY_BYTES, settings.SIB_MAX_IMPORT_BYTES = 1, 2
    settings.SIB_MAX_EVIDENCE_BYTES, settings.SIB_MAX_REPORT_BYTES = 3, 4
    assert body_limit(rf.post("/api/programmes/1/results/import/")) == 2
    assert body_limit(rf.post("/api/programmes/1/reports/verify/")) == 4
    assert body_limit(rf.post("/programmes/1/results/import/")) == 2
    assert body_limit(rf.post("/api/programmes/1/results/7/evidence/")) == 3
    assert body_limit(rf.post("/api/programmes/1/drawdowns/create/")) == 1
    assert body_limit(rf.post("/no/such/page/")) == 1
