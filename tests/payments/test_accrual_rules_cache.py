"""The accrual remembers the contract's rules per contract version, never beyond it (#11).

payments.contract.programme_rules_of keeps the rules of a contract version by its
digest, so that a verification priced from its own cell (payments.accrual_cell) does not
read the terms again. A change of terms chains a new version: the next verification reads
the new terms. The Jardins deal (tests/payments/schedule_support.py): training 800 €, the
State 70 %, the département 30 %. Amounts are cents.
"""

from unittest import mock

import pytest

from outcomes import services as outcome_services
from outcomes.models import Result
from payments import accrual
from payments.contract import programme_rules_of
from payments.models import ContractVersion
from payments.outcome_payments import outcome_payments_compute
from payments.position import programme_position
from payments.variations import programme_vary
from sib import services as sib_services
from sib.models import Programme
from tests.payments.schedule_support import D, Deal, jardins

pytestmark = pytest.mark.django_db


def latest(deal: Deal) -> dict[str, object]:
    version = ContractVersion.objects.filter(programme=deal.programme).latest("id")
    return {"version": version.pk, "digest": version.digest}


def booked(deal: Deal) -> dict[str, int]:
    position = programme_position(programme=deal.programme)
    return {slug: position.payer(slug).due for slug in ("etat", "departement-13")}


def engine(deal: Deal) -> dict[str, int]:
    plan = outcome_payments_compute(programme=Programme.objects.get(pk=deal.programme.pk))
    return {item.payer: item.amount for item in plan.payer_totals}


def test_the_rules_are_remembered_for_one_contract_version_and_read_again_for_the_next():
    deal = jardins()
    first = latest(deal)
    rules = programme_rules_of(programme=deal.programme, **first)
    assert programme_rules_of(programme=deal.programme, **first) is rules

    deal.metric("mentoring", {"kind": "rate_card", "price": 50_000})

    second = latest(deal)
    assert second != first
    assert "mentoring" in {
        m.code for m in programme_rules_of(programme=deal.programme, **second).metrics
    }
    assert "mentoring" not in {m.code for m in rules.metrics}


def test_a_metric_added_after_a_verification_is_priced_from_its_cell_by_the_next_one():
    deal = jardins()
    deal.result("training", "c1", "2026", 10)  # 8,000.00: the rules are remembered

    deal.metric("mentoring", {"kind": "rate_card", "price": 50_000})
    # Priced from its own cell with the new terms: the engine's full run is not asked.
    with mock.patch.object(accrual, "_payer_totals", side_effect=AssertionError("full run")):
        deal.result("mentoring", "c1", "2026", 4)  # 4 x 500.00 = 2,000.00

    assert booked(deal) == {"etat": 560_000 + 140_000, "departement-13": 240_000 + 60_000}
    assert booked(deal) == engine(deal)


def test_after_a_price_variation_the_next_verification_books_the_new_price():
    deal = jardins()
    deal.result("training", "c1", "2026", 10)
    programme_vary(
        programme=deal.programme,
        kind="price_change",
        effective_date=D(2026, 7, 1),
        reason="Agreed at the mid-term review",
        parameters={"metric": "training", "price": 100_000},
        actor=deal.manager,
    )

    deal.result("training", "c2", "2026", 5)

    # Both results are dated at their period's end (31 December), after the new price:
    # 15 x 1,000.00 = 15,000.00, the State 70 %.
    assert booked(deal) == {"etat": 1_050_000, "departement-13": 450_000}
    assert booked(deal) == engine(deal)


def test_after_a_termination_the_next_verification_books_the_terminated_contract():
    deal = jardins()
    deal.result("training", "c1", "2026", 10)
    before = deal.result("training", "c2", "2026", 5, verify=False)
    after = deal.result("training", "c3", "2028", 5, verify=False)
    sib_services.programme_terminate(
        programme=deal.programme, termination_date=D(2027, 6, 30), reason="payer option"
    )

    # Read again, as a request would: the results' programme is terminated now.
    for result in (before, after):  # 2026: paid; 2028, after the termination: not paid
        outcome_services.result_verify(result=Result.objects.get(pk=result.pk), user=deal.lead)

    # 15 x 800.00 = 12,000.00, the State 70 %.
    assert booked(deal) == {"etat": 840_000, "departement-13": 360_000}
    assert booked(deal) == engine(deal)
