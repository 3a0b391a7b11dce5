"""Who may reverse what: a movement of money is reversed by whoever may record it; an
accrual (what verified results make a payer owe, a disputed amount held, an advance
applied) is never reversed by hand — the services that book it restate it.

Figures use the demo bond (tests/payments/schedule_support.jardins): "enters training"
pays 800 € a participant, the State pays 70 % and the département 30 %.
"""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from rest_framework.test import APIClient

from payments import services
from payments.models import LedgerTransaction, TransactionKind
from payments.position import programme_position
from payments.reversals import reversal_action
from tests.payments.schedule_support import jardins

pytestmark = pytest.mark.django_db


def _reverse_url(deal, transaction_id: int) -> str:
    return f"/api/programmes/{deal.programme.pk}/ledger/transactions/{transaction_id}/reverse/"


def test_a_fund_manager_cannot_undo_what_a_verified_result_makes_the_payers_owe():
    """10 participants verified × 800 € = 8 000 € due (5 600 € State, 2 400 € département):
    reversing that accrual through the API would silently unpay a verified result."""
    deal = jardins()
    deal.result("training", "c1", "2026", 10)
    accrual = LedgerTransaction.objects.get(
        programme=deal.programme, kind=TransactionKind.OUTCOME_DUE
    )
    client = APIClient()
    client.force_authenticate(deal.manager)

    response = client.post(
        _reverse_url(deal, accrual.pk),
        {"reason": "typo"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="undo-accrual",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {"transaction"}
    assert not LedgerTransaction.objects.filter(reverses=accrual).exists()
    assert programme_position(programme=deal.programme).totals["due"] == 800_000


def test_the_service_refuses_to_reverse_an_accrual_whoever_calls_it():
    deal = jardins()
    deal.result("training", "c1", "2026", 10)
    accrual = LedgerTransaction.objects.get(
        programme=deal.programme, kind=TransactionKind.OUTCOME_DUE
    )
    with translation.override("en"), pytest.raises(ValidationError) as refusal:
        services.ledger_transaction_reverse(original=accrual, reason="typo", actor=None)
    assert "restated" in str(refusal.value.message_dict["transaction"])


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
def test_each_kind_is_reversed_by_the_right_that_records_it(kind, action):
    assert reversal_action(kind) == action
