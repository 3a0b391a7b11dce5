"""Actual distributions: proposed by the schedule, recorded (possibly different) by the
fund manager with a reason, compared until the difference is zero."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from payments.distributions import PaidOut, distribution_proposal, distribution_record
from payments.ledger import trial_balance
from payments.models import LedgerTransaction, TransactionKind
from payments.position import distributions_compared, programme_position
from payments.services import ledger_transaction_reverse
from tests.payments.schedule_support import D, jardins

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    # The refusals are read in English here (the default language is French).
    with translation.override("en"):
        yield


PAID_ON = D(2027, 3, 31)


def funded(slug: str = "jardins"):
    deal = jardins(slug)
    deal.draw("senior", "banque-solidaire", D(2026, 1, 15), 20_000_000)
    deal.draw("senior", "fondation-terre", D(2026, 1, 15), 10_000_000)
    deal.draw("junior", "fonds-impact", D(2026, 1, 15), 5_000_000)
    deal.receive_owed("etat", 3_000_000, PAID_ON)
    return deal


def proposed_lines(deal) -> list[PaidOut]:
    proposal = distribution_proposal(programme=deal.programme, paid_on=PAID_ON)
    return [
        PaidOut(step, recipient, amount, tranche)
        for (step, tranche, recipient), amount in proposal.items()
    ]


def test_the_proposal_is_recorded_as_is_without_a_reason():
    deal = funded()
    lines = proposed_lines(deal)
    assert lines, "the schedule proposes distributions on the payment date"
    cash = programme_position(programme=deal.programme).cash
    tx = distribution_record(
        programme=deal.programme, paid_on=PAID_ON, lines=lines, actor=deal.manager
    )
    total = sum(line.amount for line in lines)
    position = programme_position(programme=deal.programme)
    assert position.cash == cash - total
    assert position.distributed == total
    assert tx.kind == TransactionKind.DISTRIBUTION and tx.reason == ""
    assert all(line.difference == 0 for line in distributions_compared(programme=deal.programme))
    for debit, credit in trial_balance(programme_id=deal.programme.pk).values():
        assert debit == credit


def test_a_distribution_that_differs_from_the_proposal_needs_a_reason_and_shows_the_difference():
    deal = funded()
    first, *rest = proposed_lines(deal)
    changed = [PaidOut(first.step_kind, first.recipient, first.amount - 100, first.tranche), *rest]
    with pytest.raises(ValidationError) as refused:
        distribution_record(
            programme=deal.programme, paid_on=PAID_ON, lines=changed, actor=deal.manager
        )
    assert "reason" in refused.value.message_dict
    tx = distribution_record(
        programme=deal.programme,
        paid_on=PAID_ON,
        lines=changed,
        actor=deal.manager,
        reason="one euro held back at the bank's request",
    )
    assert tx.reason == "one euro held back at the bank's request"
    [different] = [
        line for line in distributions_compared(programme=deal.programme) if line.difference
    ]
    assert (different.step_kind, different.tranche, different.recipient) == first.key
    assert different.difference == -100
    assert different.proposed == first.amount and different.recorded == first.amount - 100


def test_a_distribution_is_refused_when_it_would_make_programme_cash_negative():
    deal = funded()
    cash = programme_position(programme=deal.programme).cash
    with pytest.raises(ValidationError) as refused:
        distribution_record(
            programme=deal.programme,
            paid_on=PAID_ON,
            lines=[PaidOut("principal", "banque-solidaire", cash + 1, "senior")],
            actor=deal.manager,
            reason="too much",
        )
    assert "negative" in str(refused.value)
    assert not LedgerTransaction.objects.filter(
        programme=deal.programme, kind="distribution"
    ).exists()


@pytest.mark.parametrize("amount", [0, -5])
def test_a_distribution_of_a_zero_or_negative_amount_is_refused(amount):
    deal = funded()
    with pytest.raises(ValidationError) as refused:
        distribution_record(
            programme=deal.programme,
            paid_on=PAID_ON,
            lines=[PaidOut("principal", "banque-solidaire", amount, "senior")],
            actor=deal.manager,
            reason="x",
        )
    assert "lines" in refused.value.message_dict


@pytest.mark.parametrize(
    "line",
    [
        PaidOut("principal", "nobody", 100, "senior"),
        PaidOut("principal", "fonds-impact", 100, "senior"),  # a junior investor, not senior
        PaidOut("guarantee_reimbursement", "banque-solidaire", 100, "senior"),
        PaidOut("fees", "etat", 100),  # a payer is not paid fees
        PaidOut("bonus", "banque-solidaire", 100, "senior"),
    ],
)
def test_a_distribution_to_an_unknown_recipient_is_refused(line):
    deal = funded()
    with pytest.raises(ValidationError) as refused:
        distribution_record(
            programme=deal.programme, paid_on=PAID_ON, lines=[line], actor=deal.manager, reason="x"
        )
    assert "no such recipient" in str(refused.value)


@pytest.mark.parametrize("on", [D(2025, 12, 31), D(2031, 7, 1)])
def test_a_distribution_dated_outside_the_contract_is_refused(on):
    deal = funded()
    with pytest.raises(ValidationError) as refused:
        distribution_record(
            programme=deal.programme,
            paid_on=on,
            lines=[PaidOut("principal", "banque-solidaire", 100, "senior")],
            actor=deal.manager,
            reason="x",
        )
    assert "paid_on" in refused.value.message_dict


def test_a_date_is_distributed_once_unless_its_distribution_was_reversed():
    deal = funded()
    lines = proposed_lines(deal)
    tx = distribution_record(
        programme=deal.programme, paid_on=PAID_ON, lines=lines, actor=deal.manager
    )
    with pytest.raises(ValidationError) as refused:
        distribution_record(
            programme=deal.programme, paid_on=PAID_ON, lines=lines, actor=deal.manager
        )
    assert "paid_on" in refused.value.message_dict
    ledger_transaction_reverse(original=tx, reason="wrong bank account", actor=deal.manager)
    assert programme_position(programme=deal.programme).distributed == 0
    assert any(line.difference for line in distributions_compared(programme=deal.programme))
    again = distribution_record(
        programme=deal.programme, paid_on=PAID_ON, lines=lines, actor=deal.manager
    )
    assert again.pk != tx.pk
    assert programme_position(programme=deal.programme).distributed == sum(x.amount for x in lines)


def test_an_undistributed_payment_date_shows_its_whole_proposal_as_the_difference():
    deal = funded()
    proposal = distribution_proposal(programme=deal.programme, paid_on=PAID_ON)
    compared = [
        line for line in distributions_compared(programme=deal.programme) if line.on == PAID_ON
    ]
    assert {(x.step_kind, x.tranche, x.recipient): -x.difference for x in compared} == proposal


def test_fees_to_a_programme_party_are_recorded_and_compared_under_their_step():
    from sib.models import ProgrammeParty
    from tests.payments.schedule_support import SENIOR_JUNIOR, org

    deal = jardins("fees")
    ProgrammeParty.objects.create(
        programme=deal.programme,
        organisation=org("impact-partenaires", "intermediary"),
        role="intermediary",
    )
    fees = {"kind": "fees", "recipient": "impact-partenaires", "share": "0.02"}
    deal.terms([fees, *SENIOR_JUNIOR], participant_cap=550_000)
    deal.draw("senior", "banque-solidaire", D(2026, 1, 15), 20_000_000)
    deal.receive_owed("etat", 3_000_000, PAID_ON)
    lines = proposed_lines(deal)
    assert ("fees", None, "impact-partenaires") in {line.key for line in lines}
    distribution_record(programme=deal.programme, paid_on=PAID_ON, lines=lines, actor=None)
    compared = distributions_compared(programme=deal.programme)
    assert ("fees", None, "impact-partenaires") in {
        (x.step_kind, x.tranche, x.recipient) for x in compared
    }
    assert all(x.difference == 0 for x in compared)
