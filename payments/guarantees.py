"""Guarantee calls and guarantee payments, booked in the ledger.

When a protected tranche ends short, the fund manager CALLS the guarantee (what the
contract says the guarantor owes, at most its cover), then records what the guarantor
actually PAYS, which may be less than called (a real deal: a guarantor paid 6.0 M of a
7.2 M cover). Legs, with the accounts of payments.ledger:

    guarantee call      Dr guarantee_called:<tranche>:<guarantor>
                            Cr guarantee:<tranche>:<guarantor>    (owed back to it later)
    guarantee payment   Dr cash
                            Cr guarantee_called:<tranche>:<guarantor>

so guarantee_called holds what was called and not yet paid. The figures (called, paid,
reimbursed by the waterfall) are read by payments.position.programme_position.
"""

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from payments import ledger
from payments.ledger import LegSpec
from payments.models import (
    AccountKind,
    Commitment,
    LedgerTransaction,
    Leg,
    TrancheKind,
    TransactionKind,
)
from payments.position import InvestorPosition, programme_position
from payments.services import amount_text
from sib.chain import chain_lock
from sib.dates import format_date
from sib.models import Programme, User
from sib.user_text import user_text


def _positive(amount: int) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise ValidationError({"amount": _("An amount is a positive int of minor units.")})


def _guarantee(commitment: Commitment) -> None:
    if commitment.tranche.kind != TrancheKind.GUARANTEE:
        raise ValidationError(
            {"commitment": _("Only a guarantee commitment is called and pays a guarantee.")}
        )


def _figures(commitment: Commitment) -> InvestorPosition:
    position = programme_position(programme=commitment.programme)
    return next(
        i
        for i in position.investors
        if i.tranche == commitment.tranche.key and i.investor == commitment.investor.slug
    )


def _called_by(commitment: Commitment, on: date) -> int:
    """What was called from a guarantor by calls dated on or before `on` (not reversed)."""
    called = Leg.objects.filter(
        account__kind=AccountKind.GUARANTEE_CALLED,
        account__commitment=commitment,
        transaction__kind=TransactionKind.GUARANTEE_CALL,
        transaction__occurred_on__lte=on,
        transaction__reversal__isnull=True,
    ).aggregate(debit=Sum("debit", default=0), credit=Sum("credit", default=0))
    return int(called["debit"] - called["credit"])


def guarantee_call_record(
    *,
    commitment: Commitment,
    amount: int,
    called_on: date,
    actor: User | None,
    reason: str,
    idempotency_key: str = "",
) -> LedgerTransaction:
    """Call a guarantee: at most its cover less what is called already (net of reversals)."""
    reason = user_text(reason, field="reason")
    _positive(amount)
    _guarantee(commitment)
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the guarantee is called.")})
    programme = commitment.programme
    ledger.date_check(
        programme=programme, kind=TransactionKind.GUARANTEE_CALL, on=called_on, field="called_on"
    )
    with transaction.atomic():
        # The chain lock: two calls read "called so far" at the same time, each fits the
        # cover alone, together they pass it; the second waits and counts the first.
        chain_lock(programme_id=programme.pk)
        called = _figures(commitment).guarantee_called
        currency = programme.currency
        if called + amount > commitment.amount:
            raise ValidationError(
                {
                    "amount": _(
                        "The guarantee covers %(cover)s and %(called)s is called; "
                        "%(amount)s more would pass the cover."
                    )
                    % {
                        "cover": amount_text(commitment.amount, currency),
                        "called": amount_text(called, currency),
                        "amount": amount_text(amount, currency),
                    }
                }
            )
        legs = [
            LegSpec(
                ledger.account_for(
                    programme=programme, kind=AccountKind.GUARANTEE_CALLED, commitment=commitment
                ),
                debit=amount,
            ),
            LegSpec(
                ledger.account_for(
                    programme=programme, kind=AccountKind.GUARANTEE, commitment=commitment
                ),
                credit=amount,
            ),
        ]
        return ledger.transaction_post(
            programme=programme,
            kind=TransactionKind.GUARANTEE_CALL,
            occurred_on=called_on,
            legs=legs,
            actor=actor,
            idempotency_key=idempotency_key,
            description=f"Guarantee call: {commitment.investor.name}, {commitment.tranche.name}",
            reason=reason.strip(),
        )


def guarantee_payment_record(
    *,
    commitment: Commitment,
    amount: int,
    received_on: date,
    actor: User | None,
    idempotency_key: str = "",
) -> LedgerTransaction:
    """Record what a guarantor paid: at most what is called and not yet paid (less is fine)."""
    _positive(amount)
    _guarantee(commitment)
    programme = commitment.programme
    ledger.date_check(
        programme=programme,
        kind=TransactionKind.GUARANTEE_PAYMENT,
        on=received_on,
        field="received_on",
    )
    with transaction.atomic():
        # The chain lock: two payments recorded at once must not pass what is called.
        chain_lock(programme_id=programme.pk)
        figures = _figures(commitment)
        called_by_then = _called_by(commitment, received_on)
        if called_by_then <= 0 < figures.guarantee_called:
            raise ValidationError(
                {
                    "received_on": _(
                        "On %(date)s nothing was called from %(guarantor)s yet: a guarantee "
                        "payment answers a call made on or before the day it is received."
                    )
                    % {"date": format_date(received_on), "guarantor": commitment.investor.name}
                }
            )
        # Paid in all never passes what was called by the payment's date.
        unpaid = min(figures.guarantee_called, called_by_then) - figures.guarantee_paid
        if amount > unpaid:
            currency = programme.currency
            raise ValidationError(
                {
                    "amount": _(
                        "%(guarantor)s has %(unpaid)s called and not paid; %(amount)s is more."
                    )
                    % {
                        "guarantor": commitment.investor.name,
                        "unpaid": amount_text(unpaid, currency),
                        "amount": amount_text(amount, currency),
                    }
                }
            )
        legs = [
            LegSpec(
                ledger.account_for(programme=programme, kind=AccountKind.PROGRAMME_CASH),
                debit=amount,
            ),
            LegSpec(
                ledger.account_for(
                    programme=programme, kind=AccountKind.GUARANTEE_CALLED, commitment=commitment
                ),
                credit=amount,
            ),
        ]
        return ledger.transaction_post(
            programme=programme,
            kind=TransactionKind.GUARANTEE_PAYMENT,
            occurred_on=received_on,
            legs=legs,
            actor=actor,
            idempotency_key=idempotency_key,
            description=f"Guarantee paid: {commitment.investor.name}, {commitment.tranche.name}",
        )


def guarantee_movements(*, programme: Programme, kind: str) -> list[dict[str, Any]]:
    """Return the guarantee calls or payments (`kind`) not reversed, in date order, as the
    programme definition's history writes them (payments.history_format)."""
    rows = []
    for tx in (
        LedgerTransaction.objects.filter(programme=programme, kind=kind, reversal__isnull=True)
        .prefetch_related("legs__account__commitment__tranche", "legs__account__organisation")
        .order_by("occurred_on", "id")
    ):
        # Both kinds have one leg on guarantee_called:<tranche>:<guarantor>.
        [leg] = [leg for leg in tx.legs.all() if leg.account.kind == "guarantee_called"]
        commitment = leg.account.commitment
        assert commitment is not None
        row = {
            "amount": leg.debit or leg.credit,
            "investor": commitment.investor.slug,
            "on": tx.occurred_on.isoformat(),
            "tranche": commitment.tranche.key,
        }
        if kind == TransactionKind.GUARANTEE_CALL:
            row["reason"] = tx.reason
        rows.append(row)
    return rows
