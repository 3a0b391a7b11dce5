"""A 403 says which rule refused the request, in the request's language (issue 17, part 4)."""

import pytest

from outcomes import services
from outcomes.models import Cohort, MeasurementPeriod, Metric

pytestmark = pytest.mark.django_db


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


def _verify(cast, user, result, language="en"):  # type: ignore[no-untyped-def]
    return cast.client(user).post(
        f"/api/programmes/{cast.programme.pk}/results/{result.pk}/verify/",
        {},
        format="json",
        HTTP_ACCEPT_LANGUAGE=language,
    )


def test_a_lead_verifying_their_own_submission_is_told_four_eyes(cast):
    result = _submitted(cast, cast.lead)
    response = _verify(cast, cast.lead, result)
    assert response.status_code == 403
    assert "Four eyes" in response.json()["detail"]


def test_the_four_eyes_refusal_is_in_french_when_asked(cast):
    result = _submitted(cast, cast.lead)
    response = _verify(cast, cast.lead, result, language="fr")
    assert response.status_code == 403
    assert "propre" in response.json()["detail"]  # « votre propre saisie »


def test_an_evaluator_verifying_is_told_which_role_it_takes(cast):
    result = _submitted(cast, cast.lead)
    response = _verify(cast, cast.evaluator, result)
    assert response.status_code == 403
    detail = response.json()["detail"]
    assert "(evaluator)" in detail
    assert "lead evaluator" in detail


def test_a_public_funder_recording_a_drawdown_is_told_the_rule_in_french(cast):
    response = cast.client(cast.funder).post(
        f"/api/programmes/{cast.programme.pk}/drawdowns/create/",
        {"commitment": 1, "called_on": "2026-02-01", "amount": 5},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k",
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert response.status_code == 403
    detail = response.json()["detail"]
    assert "financeur public" in detail
    assert "gestionnaire" in detail
    assert "ne le permet pas" in detail
