"""Reversing a ledger transaction: what may be reversed, by which right, the checks, and
the service that posts the reversal.

A reversal undoes a money movement someone recorded: a drawdown, a payment received, a
distribution, a guarantee call or payment, a credit refunded to a payer, by whoever may
record it (correcting a drawdown is recording drawdowns; anything else is recording
payments). What the service
books itself from verified results and their restatements (`outcome_due`), from disputes
(`dispute_hold`) and from advances meeting dues (`advance_applied`) changes only by the
events that book it, never by hand: reversing an `outcome_due` would wipe what a verified
result makes the payers owe while the result stays verified. A reversal is dated on or
after the movement it undoes (a payment cannot bounce before it was received), and it may
not take an account below zero that recording refuses to: the programme's cash, an
investor's principal, a guarantor's call or what the programme owes it (reverse what came
after first: the distribution before the drawdown, the guarantee payment before its call).
The API and the portal both ask here.
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from payments import ledger
from payments.accrual import advances_apply
from payments.ledger import AlreadyReversed, LedgerError
from payments.models import DEBIT_NORMAL, AccountKind, LedgerTransaction, Leg, TransactionKind
from payments.redemption_dues import redemption_dues_reconcile
from sib.chain import chain_lock
from sib.dates import format_date
from sib.models import User
from sib.money import format_money
from sib.permissions import Action
from sib.user_text import user_text

# The movements a user records, and so may reverse, with the right each takes.
REVERSAL_ACTIONS: dict[str, Action] = {
    TransactionKind.DRAWDOWN: Action.DRAWDOWN_RECORD,
    TransactionKind.PAYMENT_RECEIVED: Action.PAYMENT_RECORD,
    TransactionKind.DISTRIBUTION: Action.PAYMENT_RECORD,
    TransactionKind.GUARANTEE_CALL: Action.PAYMENT_RECORD,
    TransactionKind.GUARANTEE_PAYMENT: Action.PAYMENT_RECORD,
    TransactionKind.CREDIT_REFUND: Action.PAYMENT_RECORD,
}
REVERSIBLE = tuple(REVERSAL_ACTIONS)


def reversal_action(kind: str) -> Action | None:
    """Return the right that reversing a transaction of `kind` takes; None: not by hand."""
    return REVERSAL_ACTIONS.get(kind)


# Accounts whose balance recording keeps at or above zero.
BOUNDED = frozenset(
    {
        AccountKind.PROGRAMME_CASH,
        AccountKind.INVESTOR_PRINCIPAL,
        AccountKind.GUARANTEE_CALLED,
        AccountKind.GUARANTEE,
    }
)


def reversal_check(*, original: LedgerTransaction, reason: str, occurred_on: date | None) -> None:
    """Refuse a reversal without a reason, of a booking the service made, dated before the
    movement it undoes, or taking a bounded account below zero; each refusal names its
    field and rule. Called inside the reversal's transaction: it takes the chain lock, so
    the balances it reads stay as read until the reversal is posted."""
    reason = user_text(reason, field="reason")
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the transaction is reversed.")})
    if original.kind not in REVERSIBLE and original.kind != TransactionKind.REVERSAL:
        raise ValidationError(
            {
                "transaction": _(
                    "Transaction #%(id)s was booked by the service (%(kind)s), not recorded "
                    "by hand: it changes only when the results, disputes or terms behind "
                    "it change. Reverse the movement that caused it instead."
                )
                % {"id": original.pk, "kind": original.get_kind_display()}
            }
        )
    if occurred_on is not None and occurred_on < original.occurred_on:
        raise ValidationError(
            {
                "occurred_on": _("%(date)s is before the movement it reverses (%(original)s).")
                % {"date": format_date(occurred_on), "original": format_date(original.occurred_on)}
            }
        )
    if original.kind in REVERSIBLE:
        chain_lock(programme_id=original.programme_id)
        # Already reversed: payments.ledger says so (AlreadyReversed), not the bounds.
        if not LedgerTransaction.objects.filter(reverses=original).exists():
            _bounds_check(original)


def _bounds_check(original: LedgerTransaction) -> None:
    for leg in original.legs.select_related("account"):
        account = leg.account
        if account.kind not in BOUNDED:
            continue
        sign = 1 if account.kind in DEBIT_NORMAL else -1
        # The reversal posts this leg with debit and credit swapped.
        change = sign * (leg.credit - leg.debit)
        if change >= 0:
            continue
        totals = Leg.objects.filter(account=account).aggregate(
            debit=Sum("debit", default=0), credit=Sum("credit", default=0)
        )
        balance = sign * (totals["debit"] - totals["credit"])
        if balance + change < 0:
            raise ValidationError(
                {
                    "transaction": _(
                        "Reversing transaction #%(id)s would take %(account)s below zero "
                        "(%(balance)s now, %(after)s after): reverse what was recorded "
                        "after it first."
                    )
                    % {
                        "id": original.pk,
                        "account": account.code,
                        "balance": _amount(balance, account.currency),
                        "after": _amount(balance + change, account.currency),
                    }
                }
            )


def _amount(minor: int, currency: str) -> str:
    # As payments.services.amount_text (which imports this module): the active language.
    language = get_language() or "en"
    return format_money(minor, currency, "fr" if language.startswith("fr") else "en")


def ledger_transaction_reverse(
    *,
    original: LedgerTransaction,
    reason: str,
    actor: User | None,
    occurred_on: date | None = None,
    idempotency_key: str = "",
) -> LedgerTransaction:
    """Reverse a movement once, with a reason; a reversed drawdown no longer counts as drawn."""
    reason = user_text(reason, field="reason")
    try:
        with transaction.atomic():
            reversal_check(original=original, reason=reason, occurred_on=occurred_on)
            reversal = ledger.transaction_reverse(
                original=original,
                reason=reason,
                actor=actor,
                occurred_on=occurred_on,
                idempotency_key=idempotency_key,
            )
            if original.kind == TransactionKind.PAYMENT_RECEIVED:
                # An advance this payment brought may have been applied to dues already:
                # what it settled is owed again.
                advances_apply(programme=original.programme, on=reversal.occurred_on, actor=actor)
            # A drawdown or payment undone moves what a redemption owes.
            redemption_dues_reconcile(programme=original.programme, actor=actor)
    except AlreadyReversed:
        raise
    except LedgerError as exc:
        raise ValidationError({"transaction": str(exc)}) from exc
    return reversal
