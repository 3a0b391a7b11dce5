"""The money a schedule runs on, as of a chain state: drawdowns and money that met dues.

Read from the ledger's postings chained at or before the state, less those whose
reversal is (payments.schedule_builder builds the document from them). What the
waterfall distributes is money that met a due (docs/ledger.md, "Advances"): a payment
received for what it settled of its payers' receivables, and an advance only once a due
meets it, on the day it does.
"""

from collections import defaultdict
from collections.abc import Callable
from datetime import date
from typing import Any

from django.db.models import Sum

from payments.engine.schedule import PaymentReceived
from payments.engine.terms import Drawdown
from payments.models import AccountKind, LedgerTransaction, Leg
from payments.models import Drawdown as DrawdownRow
from sib.models import ChainEntry, Programme

LEDGER_CHAIN_KIND = "ledger_transaction"


def money_as_of(
    *, programme: Programme, seq: int
) -> tuple[
    dict[tuple[str, str], list[Drawdown]],
    tuple[PaymentReceived, ...],
    tuple[dict[str, int], ...],
]:
    """Return the drawdowns and the money that met dues standing at chain entry `seq`,
    and, for each of those payments in the same order, what it settled of each payer's
    dues (payments.redemption_payments keeps what settles a redemption out of the
    waterfall)."""
    chained = {
        int(object_id)
        for object_id in ChainEntry.objects.filter(
            programme=programme, kind=LEDGER_CHAIN_KIND, seq__lte=seq
        ).values_list("object_id", flat=True)
    }
    reversed_ids = {
        original
        for tx_id, original in LedgerTransaction.objects.filter(
            programme=programme, kind="reversal"
        ).values_list("id", "reverses_id")
        if tx_id in chained
    }

    def standing(tx_id: int) -> bool:
        return tx_id in chained and tx_id not in reversed_ids

    drawdowns: dict[tuple[str, str], list[Drawdown]] = defaultdict(list)
    rows = (
        DrawdownRow.objects.filter(programme=programme)
        .order_by("called_on", "id")
        .values_list(
            "commitment__tranche__key", "commitment__investor__slug", "called_on", "amount",
            "transaction_id",
        )
    )  # fmt: skip
    for tranche, investor, called_on, amount, tx_id in rows:
        if standing(tx_id):
            drawdowns[(tranche, investor)].append(Drawdown(called_on, amount))
    payments, payers = _payments_owed(programme, standing)
    return dict(drawdowns), payments, payers


def _payments_owed(
    programme: Programme, standing: Callable[[int], bool]
) -> tuple[tuple[PaymentReceived, ...], tuple[dict[str, int], ...]]:
    """Return the money received that met dues, each on the date it met them.

    A payment received counts for what it settled of its payers' receivables, on its
    date; the part kept as an advance counts only once applied to a due, on the date of
    the `advance_applied` that applies it (docs/ledger.md, "Advances"): money not yet
    owed is not proposed for distribution. An advance unapplied (the payment it came
    from reversed) takes back the latest applications first.
    """
    # (date, transaction id, payer slug, amount): a joint payment settles several payers.
    rows: list[tuple[date, int, str, int]] = []
    settled = (
        Leg.objects.filter(
            transaction__programme=programme,
            transaction__kind="payment_received",
            account__kind=AccountKind.PAYER_RECEIVABLE,
        )
        .values_list("transaction_id", "transaction__occurred_on", "account__organisation__slug")
        .annotate(amount=Sum("credit") - Sum("debit"))
        .order_by()
    )
    rows += [(on, tx_id, payer, amount) for tx_id, on, payer, amount in settled if standing(tx_id)]
    applied: dict[str, list[list[Any]]] = defaultdict(list)
    from_advances = (
        Leg.objects.filter(
            transaction__programme=programme,
            transaction__kind="advance_applied",
            account__kind=AccountKind.PAYER_ADVANCE,
        )
        .values_list("transaction_id", "transaction__occurred_on", "account__organisation__slug")
        .annotate(amount=Sum("debit") - Sum("credit"))
        .order_by("transaction__occurred_on", "transaction_id")
    )
    for tx_id, on, payer, amount in from_advances:
        if not standing(tx_id):
            continue
        if amount >= 0:
            applied[payer].append([on, tx_id, amount])
            continue
        # An advance unapplied takes back that payer's latest applications first.
        taken_back = -amount
        for entry in reversed(applied[payer]):
            part = min(entry[2], taken_back)
            entry[2] -= part
            taken_back -= part
    rows += [
        (on, tx_id, payer, amount)
        for payer, entries in applied.items()
        for on, tx_id, amount in entries
    ]
    by_payment: dict[tuple[date, int], dict[str, int]] = defaultdict(dict)
    for on, tx_id, payer, amount in rows:
        if amount > 0:
            parts = by_payment[(on, tx_id)]
            parts[payer] = parts.get(payer, 0) + amount
    keys = sorted(by_payment)
    payments = tuple(
        PaymentReceived(on, sum(by_payment[(on, tx_id)].values())) for on, tx_id in keys
    )
    return payments, tuple(by_payment[key] for key in keys)
