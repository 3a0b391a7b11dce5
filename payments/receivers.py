"""Payments' answers to what outcomes and the bond announce (see the signals modules)."""

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from outcomes.models import Result
from outcomes.rule_json import RuleError
from outcomes.signals import outcome_facts_changed
from payments.accrual import outcome_due_reconcile
from payments.redemption_dues import redemption_dues_reconcile
from sib.models import Programme
from sib.signals import programme_terms_changed


def book_outcome_payments_due(
    sender: Any,
    *,
    programme: Programme,
    on: date,
    actor: Any,
    cause: str,
    result: Result | None = None,
    **kwargs: Any,
) -> None:
    """Book the difference in what each payer owes, in the sender's transaction.

    Dated on the change, or on the contract's start for a change made before it (a
    result verified early in a test or an imported history): the ledger holds no date
    before its contract. `result`: the result verified, when the change is one.
    """
    try:
        outcome_due_reconcile(
            programme=programme,
            on=max(on, programme.start_date),
            actor=actor,
            cause=cause,
            verified=result,
        )
        # The same change may move a redemption: its metric's results, the terms.
        redemption_dues_reconcile(programme=programme, actor=actor, cause=cause)
    except RuleError as exc:
        # A verified value the contract's rules cannot price (a fractional count on a
        # per-outcome metric...): refuse the change rather than leave "due" unbooked.
        raise ValidationError(
            _("The contract's rules cannot price this result: %(reason)s") % {"reason": exc}
        ) from exc


def connect() -> None:
    outcome_facts_changed.connect(book_outcome_payments_due, dispatch_uid="payments.accrual")
    programme_terms_changed.connect(book_outcome_payments_due, dispatch_uid="payments.terms")
