"""Histories combining the newer money features, each read on every surface."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from outcomes import services as outcome_services
from outcomes.evidence import evidence_attach
from outcomes.models import Result
from payments.distributions import PaidOut, distribution_proposal, distribution_record
from payments.joint_payments import JointPart, joint_payment_record
from payments.position import distributions_compared
from payments.reversals import ledger_transaction_reverse
from payments.services import payment_received_record
from sib.demo import demo_definition
from sib.models import Organisation, Programme, User
from sib.services import programme_close, programme_terminate
from tests.payments.money_agreement import agree_everywhere
from tests.payments.schedule_support import D, jardins
from tests.payments.test_payer_splits_end_to_end import split_deal
from tests.payments.test_redemption_end_to_end import (
    SLUG,
    load,
    protected_deal,
    redeemed_early_deal,
)
from tests.payments.test_redemption_end_to_end import manager as manager  # a fixture
from tests.payments.test_residual_payer_end_to_end import residual_deal

pytestmark = pytest.mark.django_db


def org(slug: str) -> Organisation:
    return Organisation.objects.get(slug=slug)


def test_a_joint_payment_of_a_redemption_and_its_reversal_read_the_same_everywhere(
    manager, tmp_path: Path
):
    load(tmp_path, protected_deal("62"))
    programme = Programme.objects.get(slug=SLUG)
    before = agree_everywhere(programme, manager)
    county = before.payer("departement-13")
    state = before.payer("etat")
    joint = joint_payment_record(
        programme=programme,
        paid_by=org("etat"),
        parts=[
            JointPart(payer=org("etat"), amount=state.payable),
            JointPart(payer=org("departement-13"), amount=county.payable),
        ],
        received_on=date(2031, 1, 15),
        actor=None,
    )
    after = agree_everywhere(programme, manager)
    assert after.totals["still_to_pay"] == 0
    ledger_transaction_reverse(original=joint, reason="bank recalled it", actor=None)
    again = agree_everywhere(programme, manager)
    assert again.payer("departement-13").still_to_pay == county.still_to_pay


def test_an_early_redemption_before_a_later_termination_reads_the_same_everywhere(
    manager, tmp_path: Path
):
    document = redeemed_early_deal()
    document["programme"].update(
        status="terminated", termination_date="2029-12-31", termination_reason="Payer exit"
    )
    load(tmp_path, document)
    programme = Programme.objects.get(slug=SLUG)
    position = agree_everywhere(programme, manager)
    assert position.payer("departement-13").redemption == 5_850_000


def test_an_advance_then_a_restatement_below_it_leave_advance_and_credit_adding_up():
    deal = jardins("probe-advance")
    first = deal.result("training", "c1", "2026", 40)  # 32 000 €: county 9 600 €
    payment_received_record(
        programme=deal.programme,
        payer=org("departement-13"),
        amount=2_000_000,
        received_on=D(2027, 1, 15),
        actor=deal.manager,
        advance=True,
    )
    agree_everywhere(deal.programme, deal.manager)
    amendment = outcome_services.result_amend(
        result=first,
        user=deal.evaluator,
        reason="recount",
        stage=None,
        values=outcome_services.ResultValues(value=Decimal(5)),
    )
    outcome_services.result_verify(result=amendment, user=deal.lead)
    position = agree_everywhere(deal.programme, deal.manager)
    county = position.payer("departement-13")
    assert county.due == 120_000
    assert county.received == 2_000_000
    assert county.advance + county.credit == 2_000_000 - 120_000


def test_reversing_a_payment_after_a_restatement_to_zero_clears_the_credit():
    deal = jardins("probe-zero")
    first = deal.result("training", "c1", "2026", 40)
    paid = deal.receive("etat", 2_240_000, D(2027, 1, 15))
    amendment = outcome_services.result_amend(
        result=first,
        user=deal.evaluator,
        reason="none qualified",
        stage=None,
        values=outcome_services.ResultValues(value=Decimal(0)),
    )
    outcome_services.result_verify(result=amendment, user=deal.lead)
    position = agree_everywhere(deal.programme, deal.manager)
    assert position.payer("etat").credit == 2_240_000
    ledger_transaction_reverse(original=paid, reason="refunded", actor=None)
    position = agree_everywhere(deal.programme, deal.manager)
    assert position.payer("etat").credit == 0


def county_pays(programme: Programme, amount: int, on: date, *, advance: bool = False):  # type: ignore[no-untyped-def]
    return payment_received_record(
        programme=programme,
        payer=org("departement-13"),
        amount=amount,
        received_on=on,
        actor=None,
        advance=advance,
    )


def test_reversing_an_advance_applied_to_a_redemption_puts_the_redemption_back(
    manager, tmp_path: Path
):
    document = protected_deal("62")
    document["programme"]["status"] = "active"
    load(tmp_path, document)
    programme = Programme.objects.get(slug=SLUG)
    advance = county_pays(programme, 3_108_000 + 1_300_000, date(2030, 6, 30), advance=True)
    programme_close(programme=programme)
    agree_everywhere(programme, manager)
    ledger_transaction_reverse(original=advance, reason="bank recalled it", actor=None)
    position = agree_everywhere(programme, manager)
    county = position.payer("departement-13")
    assert county.received == 0
    assert county.still_to_pay == county.due


def test_a_paid_redemption_lowered_by_a_late_payment_reads_the_same_everywhere(
    manager, tmp_path: Path
):
    load(tmp_path, protected_deal("62"))
    programme = Programme.objects.get(slug=SLUG)
    county_pays(programme, 3_108_000 + 9_100_000, date(2031, 1, 15))
    agree_everywhere(programme, manager)
    # Another payment recorded late, dated before maturity: the redemption falls.
    state = agree_everywhere(programme, manager).payer("etat")
    payment_received_record(
        programme=programme,
        payer=org("etat"),
        amount=state.payable,
        received_on=date(2030, 6, 30),
        actor=None,
    )
    position = agree_everywhere(programme, manager)
    assert position.payer("departement-13").received == 12_208_000


def test_a_termination_before_a_paid_early_redemption_leaves_a_credit(manager, tmp_path: Path):
    load(tmp_path, redeemed_early_deal())
    programme = Programme.objects.get(slug=SLUG)
    county = agree_everywhere(programme, manager).payer("departement-13")
    assert county.redemption == 5_850_000
    county_pays(programme, county.payable, date(2029, 7, 15))
    programme_terminate(programme=programme, termination_date=date(2028, 12, 31), reason="exit")
    position = agree_everywhere(programme, manager)
    assert position.payer("departement-13").redemption == 0
    assert position.payer("departement-13").credit == 5_850_000


def amend(result: Result, value: int) -> Result:
    amendment = outcome_services.result_amend(
        result=result,
        user=User.objects.get(username="evaluator"),
        reason="recount",
        stage=None,
        values=outcome_services.ResultValues(value=Decimal(value)),
    )
    evidence_attach(
        result=amendment,
        user=User.objects.get(username="evaluator"),
        uploaded=SimpleUploadedFile("proof.pdf", b"%PDF-1.4 proof", "application/pdf"),
    )
    outcome_services.result_verify(result=amendment, user=User.objects.get(username="lead"))
    return amendment


GRANT = {
    "kind": "grant_payments",
    "effective_date": "2026-12-01",
    "periods": ["2026"],
    "amount": 5_000_000,
    "reason": "Fixed grant while the sites are closed",
}


def test_an_amendment_in_a_grant_period_leaves_the_grant_due(manager, tmp_path: Path):
    load(tmp_path, {**demo_definition(), "variations": [GRANT]})
    programme = Programme.objects.get(slug=SLUG)
    before = agree_everywhere(programme, manager)
    training = Result.objects.get(programme=programme, metric__code="training", cohort__code="2026")
    amend(training, 10)
    after = agree_everywhere(programme, manager)
    assert after.totals["due"] == before.totals["due"]
    county = after.payer("departement-13")
    county_pays(programme, county.payable + 100_000, date(2027, 2, 1), advance=True)
    agree_everywhere(programme, manager)


def test_a_capped_payer_amended_below_what_it_paid_is_owed_a_credit(manager, tmp_path: Path):
    load(tmp_path, residual_deal())
    programme = Programme.objects.get(slug=SLUG)
    county = agree_everywhere(programme, manager).payer("departement-13")
    assert county.due == 3_000_000
    county_pays(programme, county.payable, date(2027, 12, 1))
    work = Result.objects.get(programme=programme, metric__code="in-work-6m")
    amend(work, 2)
    position = agree_everywhere(programme, manager)
    county = position.payer("departement-13")
    assert county.received == 3_000_000
    assert county.credit == county.received - county.due


def test_a_redemption_owed_is_paid_whatever_the_contract_cap_on_outcome_payments(
    manager, tmp_path: Path
):
    """The contract cap limits outcome payments, not principal coming back (cap_use).
    Outcome payments 103 600 € under a 150 000 € cap; the Département also owes the junior
    loan's 91 000 € redemption. The State pays its 72 520 € less the 39 000 € paid, then
    the Département its 122 080 €: 194 600 € received in all, 103 600 € of them outcome
    payments. Owed, the Département's payment is not past the cap."""
    document = protected_deal("62")
    document["programme"]["contract_cap"] = 15_000_000
    load(tmp_path, document)
    programme = Programme.objects.get(slug=SLUG)
    position = agree_everywhere(programme, manager)
    state = position.payer("etat")
    payment_received_record(
        programme=programme,
        payer=org("etat"),
        amount=state.payable,
        received_on=date(2031, 1, 10),
        actor=None,
    )
    county = position.payer("departement-13")
    assert county.payable == 3_108_000 + 9_100_000
    county_pays(programme, county.payable, date(2031, 1, 15))
    assert agree_everywhere(programme, manager).totals["still_to_pay"] == 0


def test_an_advance_towards_a_redemption_is_within_what_the_payer_could_ever_owe(
    manager, tmp_path: Path
):
    """The Département could owe 30 % of the 150 000 € cap, 45 000 €, of outcome payments,
    and the junior loan's redemption besides: up to its 200 000 € committed. Still active,
    it pays 91 000 € ahead on 30 June 2030 (its 31 080 € of dues and 59 920 € towards the
    redemption, docs/ledger.md): within what it could ever owe, so accepted."""
    document = protected_deal("62")
    document["programme"].update(status="active", contract_cap=15_000_000)
    load(tmp_path, document)
    programme = Programme.objects.get(slug=SLUG)
    county_pays(programme, 9_100_000, date(2030, 6, 30), advance=True)
    programme_close(programme=programme)
    position = agree_everywhere(programme, manager)
    county = position.payer("departement-13")
    assert (county.redemption, county.still_to_pay) == (5_992_000, 0)


def test_a_grant_period_with_the_payer_of_the_rest_reads_the_same_everywhere(
    manager, tmp_path: Path
):
    load(tmp_path, {**residual_deal(), "variations": [GRANT]})
    programme = Programme.objects.get(slug=SLUG)
    agree_everywhere(programme, manager)


def test_a_grant_period_with_payer_splits_reads_the_same_everywhere(manager, tmp_path: Path):
    load(tmp_path, {**split_deal(), "variations": [GRANT]})
    programme = Programme.objects.get(slug=SLUG)
    agree_everywhere(programme, manager)


def test_a_redemption_topped_up_by_the_payer_of_the_rest_reads_the_same_everywhere(
    manager, tmp_path: Path
):
    document = protected_deal("62")
    residual = residual_deal()
    document["parties"] = residual["parties"]
    document["payer_shares"] = residual["payer_shares"]
    junior = next(t for t in document["tranches"] if t["key"] == "junior")
    junior["redemption"]["payer"] = "etat"
    load(tmp_path, document)
    programme = Programme.objects.get(slug=SLUG)
    position = agree_everywhere(programme, manager)
    assert position.payer("etat").redemption > 0


def test_a_redemption_paid_out_to_its_investor_is_the_proposal_of_its_date(manager, tmp_path: Path):
    """The schedule pays the junior loan's 91 000 € redemption to fonds-impact as
    principal on 31 December 2030 (and keeps the payment that settles it out of the
    waterfall), so that is what it proposes to distribute that day: recorded as proposed,
    no difference is left that day, and fonds-impact has the 91 000 € back to date."""
    load(tmp_path, protected_deal("62"))
    programme = Programme.objects.get(slug=SLUG)
    county = agree_everywhere(programme, manager).payer("departement-13")
    county_pays(programme, county.payable, date(2031, 1, 15))
    maturity = date(2030, 12, 31)
    proposal = distribution_proposal(programme=programme, paid_on=maturity)
    assert proposal == {("principal", "junior", "fonds-impact"): 9_100_000}
    distribution_record(
        programme=programme,
        paid_on=maturity,
        actor=None,
        lines=[PaidOut("principal", "fonds-impact", 9_100_000, "junior")],
    )
    lines = distributions_compared(programme=programme)
    assert [(n.proposed, n.recorded) for n in lines if n.on == maturity] == [(9_100_000,) * 2]
    position = agree_everywhere(programme, manager)
    [junior] = [i for i in position.investors if i.investor == "fonds-impact"]
    # The 39 000 € the waterfall proposed in 2026 are not recorded in this history.
    assert (junior.principal_repaid, junior.principal_outstanding) == (9_100_000, 3_900_000)
