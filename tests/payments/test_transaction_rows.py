"""The ledger list's rows, written out by hand, say what its serializer says (issue 16)."""

import pytest
from rest_framework.renderers import JSONRenderer

from payments import selectors, services
from payments.models import LedgerTransaction
from payments.serializers import TransactionOutputSerializer, transaction_rows
from tests.reports.conftest import make_bond

pytestmark = pytest.mark.django_db


def test_transaction_rows_are_the_serializers_answer_byte_for_byte() -> None:
    bond = make_bond()
    drawdowns = LedgerTransaction.objects.filter(programme=bond.programme, kind="drawdown")
    # A reversal by someone, and one by no one (the actor is then null).
    first, second = drawdowns.order_by("id")[:2]
    services.ledger_transaction_reverse(original=first, reason="sent twice", actor=bond.manager)
    services.ledger_transaction_reverse(original=second, reason="bounced", actor=None)
    transactions = list(selectors.transaction_list(programme_id=bond.programme.pk))
    kinds = {tx.kind for tx in transactions}
    assert {"drawdown", "reversal"} <= kinds
    assert any(tx.actor is None for tx in transactions)
    assert any(getattr(tx, "reversal", None) is not None for tx in transactions)

    expected = TransactionOutputSerializer(transactions, many=True).data
    legs = selectors.transaction_legs(transaction_ids=[tx.pk for tx in transactions])
    rows = transaction_rows(transactions, legs)

    assert rows == expected
    assert JSONRenderer().render(rows) == JSONRenderer().render(expected)
