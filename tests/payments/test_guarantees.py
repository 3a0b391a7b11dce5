"""Guarantee calls and guarantee payments are ledger transactions, read by the position."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.formats import date_format

from payments.guarantees import guarantee_call_record, guarantee_payment_record
from payments.ledger import trial_balance
from payments.models import Account
from payments.position import programme_position
from payments.services import ledger_transaction_reverse
from sib.chain_verification import chain_verify
from tests.payments.schedule_support import D, jardins

pytestmark = pytest.mark.django_db

COVER = 15_000_000  # the demo guarantor's cover: 150 000 €


def guarantor(deal):
    return deal.commitments[("guarantee", "fondation-garantie")]


def figures(deal):
    return next(i for i in programme_position(programme=deal.programme).guarantors)


CALLED_ON = D(2030, 12, 31)


def call(deal, amount, on=CALLED_ON):
    return guarantee_call_record(
        commitment=guarantor(deal),
        amount=amount,
        called_on=on,
        actor=deal.manager,
        reason="senior tranche ended short",
    )


def test_a_guarantor_may_pay_less_than_was_called():
    # The real deal: a guarantor paid 6.0 M of a 7.2 M cover (here scaled to the demo's).
    deal = jardins()
    call(deal, 12_000_000)
    cash = programme_position(programme=deal.programme).cash
    guarantee_payment_record(
        commitment=guarantor(deal),
        amount=10_000_000,
        received_on=D(2031, 1, 15),
        actor=deal.manager,
    )
    assert (figures(deal).guarantee_called, figures(deal).guarantee_paid) == (
        12_000_000,
        10_000_000,
    )
    assert programme_position(programme=deal.programme).cash == cash + 10_000_000
    codes = dict(
        Account.objects.filter(programme=deal.programme, kind__startswith="guarantee").values_list(
            "code", "kind"
        )
    )
    assert codes == {
        "guarantee:guarantee:fondation-garantie": "guarantee",
        "guarantee_called:guarantee:fondation-garantie": "guarantee_called",
    }
    for debit, credit in trial_balance(programme_id=deal.programme.pk).values():
        assert debit == credit
    assert chain_verify(programme_id=deal.programme.pk).ok


def test_a_call_beyond_the_cover_less_what_is_called_is_refused():
    deal = jardins()
    call(deal, COVER - 100)
    with pytest.raises(ValidationError) as refused:
        call(deal, 101)
    assert "amount" in refused.value.message_dict
    call(deal, 100)
    assert figures(deal).guarantee_called == COVER


def test_a_reversed_call_frees_its_cover():
    deal = jardins()
    tx = call(deal, COVER)
    ledger_transaction_reverse(original=tx, reason="called too early", actor=deal.manager)
    assert figures(deal).guarantee_called == 0
    call(deal, COVER)


def test_a_payment_above_what_is_called_and_unpaid_is_refused():
    deal = jardins()
    call(deal, 5_000_000)
    guarantee_payment_record(
        commitment=guarantor(deal), amount=3_000_000, received_on=D(2031, 1, 1), actor=None
    )
    with pytest.raises(ValidationError) as refused:
        guarantee_payment_record(
            commitment=guarantor(deal), amount=2_000_001, received_on=D(2031, 1, 2), actor=None
        )
    assert "amount" in refused.value.message_dict


def test_a_guarantee_payment_is_not_dated_before_its_call():
    """Called 50 000 € on 31 December 2030: a payment received on 30 December answers no
    call yet, and one of 50 000 € on 31 December is the call paid in full."""
    deal = jardins()
    call(deal, 5_000_000)
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        guarantee_payment_record(
            commitment=guarantor(deal), amount=1_000_000, received_on=D(2030, 12, 30), actor=None
        )
    assert "received_on" in refused.value.message_dict
    with translation.override("en"):
        assert date_format(D(2030, 12, 30)) in refused.value.message_dict["received_on"][0]
    assert figures(deal).guarantee_paid == 0
    guarantee_payment_record(
        commitment=guarantor(deal), amount=5_000_000, received_on=CALLED_ON, actor=None
    )
    assert figures(deal).guarantee_paid == 5_000_000


def test_a_guarantee_payment_without_a_call_is_refused():
    deal = jardins()
    with pytest.raises(ValidationError):
        guarantee_payment_record(
            commitment=guarantor(deal), amount=1, received_on=D(2031, 1, 1), actor=None
        )


def test_only_a_guarantee_commitment_is_called():
    deal = jardins()
    with pytest.raises(ValidationError) as refused:
        guarantee_call_record(
            commitment=deal.commitments[("senior", "banque-solidaire")],
            amount=100,
            called_on=D(2030, 12, 31),
            actor=None,
            reason="x",
        )
    assert "commitment" in refused.value.message_dict


def test_a_call_needs_a_reason_and_a_positive_amount():
    deal = jardins()
    with pytest.raises(ValidationError) as refused:
        guarantee_call_record(
            commitment=guarantor(deal),
            amount=100,
            called_on=D(2030, 12, 31),
            actor=None,
            reason=" ",
        )
    assert "reason" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        call(deal, 0)
    assert "amount" in refused.value.message_dict


@pytest.mark.parametrize("on", [D(2025, 12, 31), D(2031, 7, 1)])
def test_guarantee_dates_outside_the_contract_are_refused(on):
    deal = jardins()
    with pytest.raises(ValidationError) as refused:
        call(deal, 100, on=on)
    assert "called_on" in refused.value.message_dict
    call(deal, 100)
    with pytest.raises(ValidationError) as refused:
        guarantee_payment_record(commitment=guarantor(deal), amount=100, received_on=on, actor=None)
    assert "received_on" in refused.value.message_dict


def test_a_reversed_guarantee_payment_is_owed_again():
    deal = jardins()
    call(deal, 5_000_000)
    tx = guarantee_payment_record(
        commitment=guarantor(deal), amount=5_000_000, received_on=D(2031, 1, 1), actor=None
    )
    ledger_transaction_reverse(original=tx, reason="bounced", actor=deal.manager)
    assert (figures(deal).guarantee_called, figures(deal).guarantee_paid) == (5_000_000, 0)
    guarantee_payment_record(
        commitment=guarantor(deal), amount=5_000_000, received_on=D(2031, 1, 2), actor=None
    )
