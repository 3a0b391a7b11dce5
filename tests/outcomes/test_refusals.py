"""The database's refusals of decisions and reviews name their rule; services map the name."""

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from outcomes import refusals, services
from outcomes.models import Cohort, MeasurementPeriod, Metric, ResultDecision, ResultReview
from sib.db.refusals import database_rule

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


def _refused(make):  # type: ignore[no-untyped-def]
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        make()
    return caught.value


@pytest.mark.parametrize(
    ("decider", "rule", "code"),
    [
        ("lead", "outcomes_four_eyes", "four_eyes"),
        ("evaluator", "outcomes_decided_by_lead_evaluator", "decided_by_lead_evaluator"),
    ],
)
def test_a_decision_the_database_refuses_names_its_rule(cast, decider, rule, code):
    result = _submitted(cast, cast.lead)
    error = _refused(
        lambda: ResultDecision.objects.create(
            result=result,
            decision="verified",
            decided_by=getattr(cast, decider),
            decided_at=timezone.now(),
        )
    )
    assert database_rule(error) == (rule, "23514")
    conflict = refusals.refusal_conflict(error, unique=refusals.already_decided())
    assert conflict.code == code
    with translation.override("en"):
        assert "outcomes:" not in str(conflict)  # a message for people, not the trigger's text


def test_a_review_of_an_unverified_result_names_its_rule(cast):
    result = _submitted(cast, cast.evaluator)
    error = _refused(
        lambda: ResultReview.objects.create(
            result=result, verdict="accepted", reviewer=cast.funder, comment=""
        )
    )
    assert database_rule(error) == ("outcomes_review_of_verified", "23514")
    conflict = refusals.refusal_conflict(error, unique=refusals.already_reviewed())
    assert conflict.code == "review_of_verified"
    assert conflict.status == 409


def test_a_second_decision_is_the_unique_refusal_the_service_gives(cast):
    result = _submitted(cast, cast.evaluator)
    services.result_verify(result=result, user=cast.lead)
    error = _refused(
        lambda: ResultDecision.objects.create(
            result=result,
            decision="rejected",
            comment="Late.",
            decided_by=cast.lead2,
            decided_at=timezone.now(),
        )
    )
    assert database_rule(error)[1] == "23505"
    conflict = refusals.refusal_conflict(error, unique=refusals.already_decided())
    assert conflict.code == "already_decided"
