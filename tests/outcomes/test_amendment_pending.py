"""A verified result has at most one amendment awaiting its decision at a time."""

import threading
from decimal import Decimal

import pytest
from django.db import IntegrityError, connections, transaction

from outcomes import services
from outcomes.models import Cohort, MeasurementPeriod, Metric, Result
from outcomes.selectors import result_state
from sib.exceptions import Conflict
from sib.models import User

pytestmark = pytest.mark.django_db


def verified(cast) -> Result:
    programme = cast.programme
    result = services.result_submit(
        programme=programme,
        user=cast.evaluator,
        metric=Metric.objects.get(programme=programme, code="employment-rate"),
        cohort=Cohort.objects.get(programme=programme, code="c1"),
        period=MeasurementPeriod.objects.get(programme=programme, code="2026-h1"),
        stage="final",
        values=services.ResultValues(value=Decimal("42.5"), comparison_value=Decimal("30")),
    )
    services.result_verify(result=result, user=cast.lead)
    return result


def amend(cast, result, *, language="en", reason="Two leavers counted twice."):
    return cast.client(cast.lead2).post(
        f"/api/programmes/{cast.programme.pk}/results/{result.pk}/amend/",
        {"value": "40", "comparison_value": "30", "reason": reason},
        format="json",
        HTTP_ACCEPT_LANGUAGE=language,
    )


def test_a_second_amendment_is_refused_while_the_first_awaits_its_decision(cast):
    original = verified(cast)
    first = amend(cast, original)
    assert first.status_code == 201, first.content
    pending = first.json()["id"]
    for _attempt in range(2):
        second = amend(cast, original, reason="Another recount.")
        assert second.status_code == 409, second.content
        body = second.json()
        assert body["code"] == "amendment_pending"
        assert body["pending_amendment"] == pending
        assert body["detail"] == (
            f"Result {original.pk} already has an amendment awaiting its decision "
            f"(result {pending}): a lead evaluator verifies or rejects it before another "
            "is proposed."
        )
    assert list(Result.objects.filter(amends=original).values_list("pk", flat=True)) == [pending]


def test_the_refusal_reads_in_french(cast):
    original = verified(cast)
    pending = amend(cast, original).json()["id"]
    second = amend(cast, original, language="fr")
    assert second.status_code == 409
    assert second.json()["detail"] == (
        f"Le résultat {original.pk} a déjà une rectification en attente de décision "
        f"(résultat {pending})\u00a0: un évaluateur principal la vérifie ou la rejette "
        "avant qu’une autre soit proposée."
    )


def test_once_the_pending_amendment_is_rejected_another_may_be_proposed(cast):
    original = verified(cast)
    first = Result.objects.get(pk=amend(cast, original).json()["id"])
    services.result_reject(result=first, user=cast.lead, comment="Wrong comparison group.")
    assert result_state(result=original) == "verified"
    assert amend(cast, original, reason="Recount, comparison fixed.").status_code == 201


def test_the_database_refuses_a_second_pending_amendment_written_past_the_service(cast):
    original = verified(cast)
    amend(cast, original)
    with pytest.raises(IntegrityError, match="awaiting its decision"), transaction.atomic():
        Result.objects.create(
            programme=cast.programme,
            metric_id=original.metric_id,
            cohort_id=original.cohort_id,
            period_id=original.period_id,
            stage=original.stage,
            value=Decimal(39),
            comparison_value=Decimal(30),
            amends=original,
            amendment_reason="Written past the service.",
            submitted_by=cast.lead2,
        )
    assert Result.objects.filter(amends=original).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_amendments_proposed_at_once_leave_exactly_one_pending(cast):
    """Both pass the service's check before either is written: the trigger's lock on the
    amended result makes the second wait, see the first and be refused."""
    original = verified(cast)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def propose(user_id: int, value: int) -> None:
        try:
            user = User.objects.get(pk=user_id)
            fresh = Result.objects.get(pk=original.pk)
            barrier.wait(timeout=10)
            services.result_amend(
                result=fresh,
                user=user,
                reason=f"Recount to {value}.",
                stage=None,
                values=services.ResultValues(value=Decimal(value), comparison_value=Decimal(30)),
            )
            outcomes.append("amended")
        except Conflict as refused:  # the loser's 409, recorded for the assertion
            outcomes.append(refused.code)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=propose, args=(user.pk, value))
        for user, value in ((cast.lead, 40), (cast.lead2, 41))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["amended", "amendment_pending"]
    assert Result.objects.filter(amends=original).count() == 1
