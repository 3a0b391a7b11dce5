"""Paying back to a payer the credit it holds (issue 11; docs/ledger.md, "Credit refunds").

A restatement below what a payer already paid leaves its receivable in credit: the
programme owes that money back. The next due nets against it (payments.accrual); or the
programme pays it back, in part or whole, as a movement of its own:

    credit_refund   Dr receivable:<payer>     (the credit falls)
                        Cr cash               (the money leaves the programme)

Dated as every ledger write (payments.ledger.date_check), chained, with an idempotency
key; reversed, with a reason, by payments.reversals like any movement a user records.
The position counts it out of *received* (what the programme kept of the payer's money)
and shows it as *refunded*, so Σ due − Σ received = Σ outstanding still holds.
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from payments import ledger
from payments.ledger import LegSpec
from payments.models import AccountKind, LedgerTransaction, Leg, TransactionKind
from payments.position import programme_position
from payments.services import amount_text
from sib.chain import chain_lock
from sib.dates import format_date
from sib.models import Organisation, PartyRole, Programme, ProgrammeParty, User
from sib.user_text import user_text


def payer_credit_on(*, programme: Programme, payer: Organisation, on: date) -> int:
    """Return the credit `payer` held at the end of `on`: what its receivable and its
    disputed account together stand in credit, from the transactions dated by then (the
    position's received − advance − due, never below zero)."""
    totals = Leg.objects.filter(
        transaction__programme=programme,
        transaction__occurred_on__lte=on,
        account__organisation=payer,
        account__kind__in=(AccountKind.PAYER_RECEIVABLE, AccountKind.PAYER_DISPUTED),
    ).aggregate(debit=Sum("debit", default=0), credit=Sum("credit", default=0))
    return max(totals["credit"] - totals["debit"], 0)


def credit_refund_check(
    *, programme: Programme, payer: Organisation, amount: int, refunded_on: date
) -> None:
    """Refuse a refund that is not a positive int, to no payer of the programme, or dated
    outside the contract (before the credit is checked, under the chain lock)."""
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise ValidationError({"amount": _("A refund is a positive amount of minor units.")})
    if not ProgrammeParty.objects.filter(
        programme=programme, organisation=payer, role=PartyRole.OUTCOME_PAYER
    ).exists():
        raise ValidationError(
            {"payer": _("%(payer)s is not an outcome payer of this programme.") % {"payer": payer}}
        )
    ledger.date_check(
        programme=programme,
        kind=TransactionKind.CREDIT_REFUND,
        on=refunded_on,
        field="refunded_on",
    )


def _credit_check(programme: Programme, payer: Organisation, amount: int, on: date) -> None:
    # The credit now and the credit on the refund's date: a later due may have netted
    # part of it, and money cannot go back before it was owed back.
    position = programme_position(programme=programme)
    now = position.payer(payer.slug).credit
    credit = min(now, payer_credit_on(programme=programme, payer=payer, on=on))
    currency = programme.currency
    if credit == 0:
        raise ValidationError(
            {
                "amount": _("%(payer)s holds no credit on %(date)s: there is nothing to refund.")
                % {"payer": payer.name, "date": format_date(on)}
            }
        )
    if amount > credit:
        raise ValidationError(
            {
                "amount": _(
                    "%(payer)s holds a credit of %(credit)s on %(date)s; a refund of "
                    "%(amount)s is more."
                )
                % {
                    "payer": payer.name,
                    "credit": amount_text(credit, currency),
                    "date": format_date(on),
                    "amount": amount_text(amount, currency),
                }
            }
        )
    if amount > position.cash:
        # Money already paid out cannot be paid back: the cash never goes below zero.
        raise ValidationError(
            {
                "amount": _(
                    "The programme holds %(cash)s; refunding %(amount)s would make its cash "
                    "negative."
                )
                % {
                    "cash": amount_text(position.cash, currency),
                    "amount": amount_text(amount, currency),
                }
            }
        )


def credit_refund_description(payer: Organisation) -> str:
    return f"Credit refunded to {payer.name}"


def credit_refund_record(
    *,
    programme: Programme,
    payer: Organisation,
    amount: int,
    refunded_on: date,
    reason: str,
    actor: User | None,
    idempotency_key: str = "",
) -> LedgerTransaction:
    """Pay `amount` of the credit `payer` holds back to it: Dr its receivable, Cr cash.

    Refused, naming the figures, when the payer holds no credit on `refunded_on` (or
    now), or less than `amount`, or the programme's cash less than `amount`; refused
    without a reason. One transaction."""
    reason = user_text(reason, field="reason")
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the credit is refunded.")})
    credit_refund_check(programme=programme, payer=payer, amount=amount, refunded_on=refunded_on)
    with transaction.atomic():
        # The chain lock: a verification committing meanwhile changes the credit.
        chain_lock(programme_id=programme.pk)
        _credit_check(programme, payer, amount, refunded_on)
        receivable = ledger.account_for(
            programme=programme, kind=AccountKind.PAYER_RECEIVABLE, organisation=payer
        )
        cash = ledger.account_for(programme=programme, kind=AccountKind.PROGRAMME_CASH)
        return ledger.transaction_post(
            programme=programme,
            kind=TransactionKind.CREDIT_REFUND,
            occurred_on=refunded_on,
            legs=[LegSpec(receivable, debit=amount), LegSpec(cash, credit=amount)],
            actor=actor,
            description=credit_refund_description(payer),
            idempotency_key=idempotency_key,
            reason=reason,
        )
