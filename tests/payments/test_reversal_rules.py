"""What a reversal may correct: a money movement someone recorded, never what the service
booked from verified results, and never dated before the movement it undoes.

Figures use the demo bond (tests/payments/schedule_support.jardins): "enters training"
pays 800 € a participant, the State pays 70 % and the département 30 %.
"""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from payments import services
from payments.distributions import PaidOut, distribution_record
from payments.guarantees import guarantee_call_record, guarantee_payment_record
from payments.models import Commitment, LedgerTransaction, TransactionKind
from payments.position import programme_position
from payments.reversals import reversal_action
from sib.models import Organisation
from tests.payments.schedule_support import D, jardins

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def test_what_a_verification_made_the_payers_owe_cannot_be_reversed():
    """10 participants verified at 800 €: the State owes 5 600 €, the département 2 400 €.

    Reversing the `outcome_due` posting would wipe both while the result stays verified:
    a due changes only by a restatement (amendment, supersession, termination, terms)."""
    deal = jardins()
    deal.result("training", "c1", "2026", 10)
    (posting,) = LedgerTransaction.objects.filter(
        programme=deal.programme, kind=TransactionKind.OUTCOME_DUE
    )
    with pytest.raises(ValidationError) as refused:
        services.ledger_transaction_reverse(original=posting, reason="oops", actor=deal.manager)
    assert "transaction" in refused.value.message_dict
    assert "booked" in refused.value.message_dict["transaction"][0]
    position = programme_position(programme=deal.programme)
    assert (position.payer("etat").due, position.payer("departement-13").due) == (
        560_000,
        240_000,
    )
    assert not LedgerTransaction.objects.filter(kind=TransactionKind.REVERSAL).exists()


def test_an_advance_the_service_applied_cannot_be_reversed_by_hand():
    """The State pays 10 000 € ahead; 10 participants make it owe 5 600 €, which the service
    settles from the advance (`advance_applied`). Undoing that by hand would leave 5 600 €
    "owed" beside a 10 000 € advance: only reversing the payment itself may undo it."""
    deal = jardins()
    deal.receive("etat", 1_000_000, D(2027, 1, 15), advance=True)
    deal.result("training", "c1", "2026", 10)
    (applied,) = LedgerTransaction.objects.filter(
        programme=deal.programme, kind=TransactionKind.ADVANCE_APPLIED
    )
    with pytest.raises(ValidationError):
        services.ledger_transaction_reverse(original=applied, reason="x", actor=deal.manager)
    etat = programme_position(programme=deal.programme).payer("etat")
    assert (etat.advance, etat.payable) == (440_000, 0)


def test_a_reversal_is_not_dated_before_the_movement_it_reverses():
    """A payment received on 15 January 2027 cannot have bounced on 1 December 2026."""
    deal = jardins()
    deal.result("training", "c1", "2026", 10)
    payment = deal.receive("etat", 560_000, D(2027, 1, 15))
    with pytest.raises(ValidationError) as refused:
        services.ledger_transaction_reverse(
            original=payment, reason="bounced", actor=deal.manager, occurred_on=D(2026, 12, 1)
        )
    assert "occurred_on" in refused.value.message_dict
    assert "Jan. 15, 2027" in refused.value.message_dict["occurred_on"][0]
    assert programme_position(programme=deal.programme).payer("etat").received == 560_000
    # On the day itself, or later, it stands.
    services.ledger_transaction_reverse(
        original=payment, reason="bounced", actor=deal.manager, occurred_on=D(2027, 1, 15)
    )
    assert programme_position(programme=deal.programme).payer("etat").received == 0


def test_the_api_refuses_to_reverse_an_outcome_due_with_a_400(client):
    deal = jardins()
    deal.result("training", "c1", "2026", 10)
    posting = LedgerTransaction.objects.get(
        programme=deal.programme, kind=TransactionKind.OUTCOME_DUE
    )
    client.force_login(deal.manager)
    response = client.post(
        f"/api/programmes/{deal.programme.pk}/ledger/transactions/{posting.pk}/reverse/",
        {"reason": "oops"},
        content_type="application/json",
        headers={"Idempotency-Key": "reverse-due-1"},
    )
    assert response.status_code == 400, response.content
    assert response.json()["errors"][0]["field"] == "transaction"
    assert programme_position(programme=deal.programme).totals["due"] == 800_000
    assert Organisation.objects.filter(slug="etat").exists()


def test_the_refusal_reads_in_french_on_a_french_page():
    deal = jardins()
    deal.result("training", "c1", "2026", 10)
    posting = LedgerTransaction.objects.get(
        programme=deal.programme, kind=TransactionKind.OUTCOME_DUE
    )
    with translation.override("fr"), pytest.raises(ValidationError) as refused:
        services.ledger_transaction_reverse(original=posting, reason="x", actor=deal.manager)
    assert "passée par le service" in refused.value.message_dict["transaction"][0]


def test_a_guarantee_call_is_not_reversed_while_its_payment_stands():
    """Called 1 000 €, the guarantor paid 1 000 €. Reversing the call alone would show
    1 000 € paid against nothing called, and the programme owing the guarantor nothing:
    reverse the payment first."""
    deal = jardins()
    guarantor = Commitment.objects.get(programme=deal.programme, tranche__key="guarantee")
    call = guarantee_call_record(
        commitment=guarantor,
        amount=100_000,
        called_on=D(2027, 1, 10),
        actor=deal.manager,
        reason="senior short",
    )
    payment = guarantee_payment_record(
        commitment=guarantor, amount=100_000, received_on=D(2027, 1, 20), actor=deal.manager
    )
    with pytest.raises(ValidationError) as refused:
        services.ledger_transaction_reverse(original=call, reason="wrong", actor=deal.manager)
    assert "transaction" in refused.value.message_dict
    services.ledger_transaction_reverse(original=payment, reason="bounced", actor=deal.manager)
    services.ledger_transaction_reverse(original=call, reason="wrong", actor=deal.manager)
    (line,) = [
        i
        for i in programme_position(programme=deal.programme).investors
        if i.tranche == "guarantee"
    ]
    assert (line.guarantee_called, line.guarantee_paid) == (0, 0)


def test_a_drawdown_already_repaid_is_not_reversed_into_negative_cash_and_principal():
    """Fonds Impact Sud drew 50 000 €, all repaid to it: reversing the drawdown would leave
    the programme −50 000 € of cash and the investor −50 000 € of principal."""
    deal = jardins()
    deal.draw("junior", "fonds-impact", D(2026, 1, 15), 5_000_000)
    tx = LedgerTransaction.objects.get(programme=deal.programme, kind=TransactionKind.DRAWDOWN)
    distribution_record(
        programme=deal.programme,
        paid_on=D(2026, 6, 30),
        lines=[PaidOut("principal", "fonds-impact", 5_000_000, "junior")],
        actor=deal.manager,
        reason="early repayment",
    )
    with pytest.raises(ValidationError):
        services.ledger_transaction_reverse(original=tx, reason="never drawn", actor=deal.manager)
    position = programme_position(programme=deal.programme)
    assert (position.cash, position.totals["principal_outstanding"]) == (0, 0)


@pytest.mark.parametrize(
    ("kind", "action"),
    [
        (TransactionKind.DRAWDOWN, "drawdown.record"),
        (TransactionKind.PAYMENT_RECEIVED, "payment.record"),
        (TransactionKind.DISTRIBUTION, "payment.record"),
        (TransactionKind.GUARANTEE_CALL, "payment.record"),
        (TransactionKind.GUARANTEE_PAYMENT, "payment.record"),
        (TransactionKind.OUTCOME_DUE, None),
        (TransactionKind.DISPUTE_HOLD, None),
        (TransactionKind.ADVANCE_APPLIED, None),
        (TransactionKind.REVERSAL, None),
    ],
)
def test_a_movement_is_reversed_by_the_right_that_records_it_an_accrual_by_none(kind, action):
    assert reversal_action(kind) == action
