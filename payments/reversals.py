"""Reversing a ledger transaction: which ones a person may reverse, the right each takes,
and the service that posts the reversal.

Only movements of money are reversed by hand, by whoever may record them (correcting a
drawdown is recording drawdowns; anything else is recording payments). Accruals — what
verified results make each payer owe, amounts held in dispute, advances applied — are
booked by the services that own them and restated by those services (an amendment, a
withdrawn dispute, a variation), never reversed: a reversal would unpay a verified
result with nothing in outcomes saying so. The API and the portal both ask here.
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from payments import ledger
from payments.accrual import advances_apply
from payments.ledger import AlreadyReversed, LedgerError
from payments.models import LedgerTransaction, TransactionKind
from sib.models import User
from sib.permissions import Action

REVERSAL_ACTIONS: dict[str, Action] = {
    TransactionKind.DRAWDOWN: Action.DRAWDOWN_RECORD,
    TransactionKind.PAYMENT_RECEIVED: Action.PAYMENT_RECORD,
    TransactionKind.DISTRIBUTION: Action.PAYMENT_RECORD,
    TransactionKind.GUARANTEE_CALL: Action.PAYMENT_RECORD,
    TransactionKind.GUARANTEE_PAYMENT: Action.PAYMENT_RECORD,
}
REVERSIBLE = tuple(REVERSAL_ACTIONS)


def reversal_action(kind: str) -> Action | None:
    """Return the right that reversing a transaction of `kind` takes; None: not by hand."""
    return REVERSAL_ACTIONS.get(kind)


def ledger_transaction_reverse(
    *,
    original: LedgerTransaction,
    reason: str,
    actor: User | None,
    occurred_on: date | None = None,
    idempotency_key: str = "",
) -> LedgerTransaction:
    """Reverse a movement once, with a reason; a reversed drawdown no longer counts as drawn."""
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the transaction is reversed.")})
    if reversal_action(original.kind) is None and original.kind != TransactionKind.REVERSAL:
        raise ValidationError(
            {
                "transaction": _(
                    "This transaction records what verified results make the payers owe; "
                    "it is not reversed but restated, by amending the result or the contract."
                )
            }
        )
    try:
        with transaction.atomic():
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
    except AlreadyReversed:
        raise
    except LedgerError as exc:
        raise ValidationError({"transaction": str(exc)}) from exc
    return reversal
