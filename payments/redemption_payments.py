"""What of a payment received settles a principal redemption, kept out of the waterfall.

The schedule books a tranche's principal redemption (payments.engine.redemption) as
principal repaid to the tranche's investors on its date, and the ledger books the same
amount as the payer's `redemption_due` (payments.redemption_dues). The payer's payment
that settles it must not be distributed by the waterfall a second time: a payment the
redemption's payer makes *after* the redemption date settles what it owes for the
redemption first (date order), and only the rest goes through the waterfall. A payment
on or before the date goes through the waterfall as any payment, and lowers the
redemption itself (the engine counts what was repaid up to and including that day), so
the redemption never depends on the payments that settle it.

100 000,00 € redeemed at 70 000,00 € on 31 December 2030; the payer pays 80 000,00 € on
15 January 2031: 70 000,00 € settle the redemption (already paid out as principal by the
redemption line), 10 000,00 € go through the waterfall. Dues are settled oldest first:
had the payer still owed 5 000,00 € of outcome payments booked by 31 December 2030, the
payment would settle those first (5 000,00 € through the waterfall), then the
redemption (70 000,00 €), and 5 000,00 € would go through the waterfall.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from django.db.models import Sum

from payments.engine.redemption import RedemptionPayment
from payments.engine.schedule import PaymentReceived
from payments.models import AccountKind, Leg, TransactionKind
from payments.schedule_money import LEDGER_CHAIN_KIND
from sib.models import ChainEntry

if TYPE_CHECKING:
    from payments.schedule_builder import ScheduleState


@dataclass
class _Owed:
    """What a payer still owes, after a redemption's date, of its older outcome dues and
    of the redemption itself."""

    on: date
    older: int
    redemption: int


def waterfall_payments(
    state: ScheduleState, redemptions: Sequence[RedemptionPayment]
) -> tuple[PaymentReceived, ...]:
    """Return the state's payments less what of each settles a redemption booked before it.

    A payer's dues are settled oldest first: a payment after the redemption date settles
    what the payer still owes of its outcome dues booked by that date, then the
    redemption (kept out of the waterfall), then anything younger.
    """
    left: dict[str, list[_Owed]] = defaultdict(list)
    for record in sorted(redemptions, key=lambda r: r.on):
        if record.amount:
            older = _older_dues(state, record.payer, record.on)
            left[record.payer].append(_Owed(record.on, older, record.amount))
    out = []
    for payment, parts in zip(state.payments, state.payers, strict=True):
        settled = 0
        for payer, part in sorted(parts.items()):
            for owed in left.get(payer, []):
                if owed.on >= payment.on or part <= 0:
                    continue
                first = min(part, owed.older)
                used = min(part - first, owed.redemption)
                owed.older -= first
                owed.redemption -= used
                part -= first + used
                settled += used
        if payment.amount - settled > 0:
            out.append(PaymentReceived(payment.on, payment.amount - settled))
    return tuple(out)


def _older_dues(state: ScheduleState, payer: str, on: date) -> int:
    """Return what ``payer`` still owed of its outcome dues booked by ``on``, once its
    payments up to ``on`` are counted (the state's chained transactions only)."""
    chained = ChainEntry.objects.filter(
        programme=state.programme, kind=LEDGER_CHAIN_KIND, seq__lte=state.seq
    ).values_list("object_id", flat=True)
    totals = Leg.objects.filter(
        transaction__programme=state.programme,
        transaction__kind=TransactionKind.OUTCOME_DUE,
        transaction__occurred_on__lte=on,
        transaction_id__in=[int(i) for i in chained],
        account__kind=AccountKind.PAYER_RECEIVABLE,
        account__organisation__slug=payer,
    ).aggregate(debit=Sum("debit", default=0), credit=Sum("credit", default=0))
    paid = sum(
        parts.get(payer, 0)
        for payment, parts in zip(state.payments, state.payers, strict=True)
        if payment.on <= on
    )
    return max(totals["debit"] - totals["credit"] - paid, 0)
