"""What verifying a result would change (payments.accrual.verification_preview): the
engine run with and without the result, per payer, with the caps that cut it; a read.

The State pays 70 %, the département 30 % (tests.payments.schedule_support.Deal).
"""

from decimal import Decimal

import pytest

from outcomes.models import ParticipantRecord, Result
from payments.accrual import CapCut, verification_preview
from payments.models import LedgerTransaction, Leg
from tests.payments.schedule_support import D, Deal
from tests.support import pseudonym_of

pytestmark = pytest.mark.django_db


def deal() -> Deal:
    d = Deal("preview-rules").cohort("c1", 100)
    d.period("2026", D(2026, 1, 1), D(2026, 12, 31))
    d.metric("training", {"kind": "rate_card", "price": 80_000})
    return d.metric("in-work", {"kind": "rate_card", "price": 300_000})


def submitted_participants(d: Deal, metric: str, people: list[tuple[str, D]]) -> Result:
    """A participant file's result, submitted and not verified (as the CSV import makes)."""
    result = Result.objects.create(
        programme=d.programme,
        metric=d.metrics[metric],
        cohort=d.cohorts["c1"],
        period=d.periods["2026"],
        stage="final",
        value=len(people),
        from_participants=True,
        submitted_by=d.evaluator,
    )
    ParticipantRecord.objects.bulk_create(
        ParticipantRecord(
            result=result,
            metric=d.metrics[metric],
            cohort=d.cohorts["c1"],
            period=d.periods["2026"],
            pseudonym=pseudonym_of(pseudonym),
            achieved_on=on,
        )
        for pseudonym, on in people
    )
    return result


def test_the_participant_cap_cuts_a_second_outcome_of_the_same_person():
    """Cap 3 500.00 per participant. P1 is in work (3 000.00, verified) before entering
    training (800.00): only 500.00 of the training is payable, 300.00 is not. The State
    owes 350.00 more, the département 150.00."""
    d = deal().terms([], participant_cap=350_000)
    d.participants("in-work", "c1", "2026", [("P1", D(2026, 3, 1))])
    training = submitted_participants(d, "training", [("P1", D(2026, 6, 1))])
    preview = verification_preview(programme=d.programme, result=training)
    assert preview.change == {"etat": 35_000, "departement-13": 15_000}
    assert preview.caps == (CapCut("participant_cap", "training", 30_000),)


def test_an_unsaved_result_is_priced_as_the_same_result_submitted():
    """12 trainings at 800.00 = 9 600.00: 6 720.00 for the State, 2 880.00 for the
    département, whether the result is made yet or not."""
    d = deal()
    probe = Result(
        programme=d.programme,
        metric=d.metrics["training"],
        cohort=d.cohorts["c1"],
        period=d.periods["2026"],
        stage="interim",
        value=Decimal(12),
    )
    unsaved = verification_preview(programme=d.programme, result=probe)
    made = d.result("training", "c1", "2026", 12, verify=False, stage="interim")
    assert unsaved == verification_preview(programme=d.programme, result=made)
    assert unsaved.change == {"etat": 672_000, "departement-13": 288_000}
    assert unsaved.caps == ()


def test_a_preview_posts_nothing():
    d = deal()
    d.result("training", "c1", "2026", 10, stage="interim")
    more = d.result(
        "training",
        "c1",
        "2026",
        2,
        verify=False,
        stage="interim",
        additional=True,
        additional_reason="a second site",
    )
    before = (LedgerTransaction.objects.count(), Leg.objects.count())
    assert verification_preview(programme=d.programme, result=more).change == {
        "etat": 112_000,
        "departement-13": 48_000,
    }
    assert (LedgerTransaction.objects.count(), Leg.objects.count()) == before
