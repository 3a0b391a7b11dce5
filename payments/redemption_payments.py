"""What of a payment received settles a principal redemption, kept out of the waterfall.

The schedule books a tranche's principal redemption (payments.engine.redemption) as
principal repaid to the tranche's investors on its date, and the ledger books the same
amount as the payer's `redemption_due` (payments.redemption_dues). The payer's payment
that settles it must not be distributed by the waterfall a second time: a payment the
redemption's payer makes *after* the redemption date settles what it owes for the
redemption first (date order), and only the rest goes through the waterfall. A payment
on or before the date goes through the waterfall as any payment, and lowers the
redemption itself (the engine counts what was repaid up to and including that day), up
to the outcome dues booked by the date: what is paid ahead beyond them (an advance)
settles the redemption instead, as the ledger applies it (issue 11; waterfall_payments).
The redemption never depends on the payments that settle it.

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
from datetime import date, timedelta
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
    """What a payer has left to settle, in date order, of its outcome dues booked by a
    redemption's date and of the redemption itself (None: not known yet, no bound)."""

    on: date
    older: int
    redemption: int | None


def waterfall_payments(
    state: ScheduleState, redemptions: Sequence[RedemptionPayment], *, bounded: bool = True
) -> tuple[PaymentReceived, ...]:
    """Return the state's payments less what of each settles a redemption.

    THE rule of which money lowers a redemption and which settles it (issue 11). A payer's
    payments settle its dues oldest first, whenever they are paid: its outcome dues booked
    by the redemption date (that money goes through the waterfall and lowers the
    redemption), then the redemption, then anything younger. What settles the redemption
    is kept out of the waterfall: the redemption line pays it out on its date. So money
    paid *ahead* before the date (an advance beyond the dues booked by then) settles the
    redemption and does not lower it too: the ledger applies that same advance to the
    redemption due (payments.accrual.advances_apply, oldest dues first), and the payer's
    money is counted once. Had it gone through the waterfall as well, the advance would
    have lowered the redemption and then paid part of what was left: counted twice.

    ``bounded=False`` keeps out everything paid ahead of each redemption (its amount is
    not known yet); schedule_compute then bounds it by the redemption that run gives.
    """
    left: dict[str, list[_Owed]] = defaultdict(list)
    for record in sorted(redemptions, key=lambda r: r.on):
        if record.amount or not bounded:
            dues = _dues_by(state, record.payer, record.on)
            left[record.payer].append(_Owed(record.on, dues, record.amount if bounded else None))
    out = []
    for payment, parts in zip(state.payments, state.payers, strict=True):
        settled = 0
        for payer, part in sorted(parts.items()):
            for owed in left.get(payer, []):
                if part <= 0:
                    continue
                first = min(part, owed.older)
                owed.older -= first
                part -= first
                used = part if owed.redemption is None else min(part, owed.redemption)
                if owed.redemption is not None:
                    owed.redemption -= used
                part -= used
                settled += used
            ahead_of = [o.on for o in left.get(payer, []) if o.on >= payment.on]
            if part > 0 and ahead_of:
                # Paid ahead beyond the redemption too: the ledger keeps it as an advance
                # for younger dues, so it may not lower the redemption either; it goes
                # through the waterfall the day after.
                settled += part
                out.append(PaymentReceived(max(ahead_of) + timedelta(days=1), part))
        if payment.amount - settled > 0:
            out.append(PaymentReceived(payment.on, payment.amount - settled))
    return tuple(sorted(out, key=lambda p: p.on))


def _dues_by(state: ScheduleState, payer: str, on: date) -> int:
    """Return the outcome dues booked against ``payer`` by ``on`` (the state's chained
    transactions only), whatever was paid of them."""
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
    return max(totals["debit"] - totals["credit"], 0)
