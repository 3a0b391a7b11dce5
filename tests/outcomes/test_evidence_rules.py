"""Evidence goes with a submission, from its submitter (issue 17, "Accepted silently")."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from outcomes import services
from outcomes.models import Cohort, Evidence, MeasurementPeriod, Metric

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4 evidence"


def _submitted(cast, user):  # type: ignore[no-untyped-def]
    programme = cast.programme
    return services.result_submit(
        programme=programme,
        user=user,
        metric=Metric.objects.get(programme=programme, code="in-work-6m"),
        cohort=Cohort.objects.get(programme=programme, code="c1"),
        period=MeasurementPeriod.objects.get(programme=programme, code="2026-h1"),
        stage="interim",
        values=services.ResultValues(value=3),
    )


def _attach(cast, user, result):  # type: ignore[no-untyped-def]
    return cast.client(user).post(
        f"/api/programmes/{cast.programme.pk}/results/{result.pk}/evidence/",
        {"file": SimpleUploadedFile("e.pdf", PDF, "application/pdf")},
        format="multipart",
        HTTP_ACCEPT_LANGUAGE="en",
    )


def test_the_submitter_attaches_evidence_to_a_submitted_result(cast):
    result = _submitted(cast, cast.evaluator)
    assert _attach(cast, cast.evaluator, result).status_code == 201
    assert Evidence.objects.filter(result=result).count() == 1


def test_evidence_on_another_persons_result_is_refused_with_the_rule(cast):
    result = _submitted(cast, cast.lead)
    response = _attach(cast, cast.evaluator, result)
    assert response.status_code == 403
    assert "submitted" in response.json()["detail"]
    assert not Evidence.objects.exists()


def test_evidence_on_a_verified_result_is_refused(cast):
    result = _submitted(cast, cast.evaluator)
    services.result_verify(result=result, user=cast.lead)
    response = _attach(cast, cast.evaluator, result)
    assert response.status_code == 409
    assert "verified" in response.json()["detail"]
    assert not Evidence.objects.exists()
