"""What a reversal may correct (payments.services.ledger_transaction_reverse checks it).

A reversal undoes a money movement someone recorded: a drawdown, a payment received, a
distribution, a guarantee call or payment. What the service books itself from verified
results and their restatements (`outcome_due`), from disputes (`dispute_hold`) and from
advances meeting dues (`advance_applied`) changes only by the events that book it, never
by hand: reversing an `outcome_due` would wipe what a verified result makes the payers
owe while the result stays verified. A reversal is dated on or after the movement it
undoes (a payment cannot bounce before it was received).
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from payments.models import LedgerTransaction, TransactionKind

# The movements a user records, and so may reverse (the portal lists these).
REVERSIBLE = (
    TransactionKind.DRAWDOWN,
    TransactionKind.PAYMENT_RECEIVED,
    TransactionKind.DISTRIBUTION,
    TransactionKind.GUARANTEE_CALL,
    TransactionKind.GUARANTEE_PAYMENT,
)


def reversal_check(*, original: LedgerTransaction, reason: str, occurred_on: date | None) -> None:
    """Refuse a reversal without a reason, of a booking the service made, or dated before
    the movement it undoes; each refusal names its field and rule."""
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
                % {"date": date_format(occurred_on), "original": date_format(original.occurred_on)}
            }
        )
