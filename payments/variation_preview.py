"""What a contract variation would change, before it is recorded: a read, nothing written.

The variation page's confirmation shows each payer's due now and once varied, its
principal redemptions included on their own line (payments.dues_preview). Both come
from the engine the booking runs (payments.outcome_payments.outcome_payments_compute):
once with the variations recorded, once with the proposed one after them, as
`programme_vary` will chain it (a variation never comes before the last one). The
service's own check (payments.variations.variation_check) runs first, so a variation it
would refuse is refused here, at its field, before any figure.
"""

from datetime import date
from typing import Any

from payments.dues_preview import DuesPreview, dues_preview
from payments.outcome_payments import outcome_payments_compute
from payments.redemption_dues import redemptions_owed
from payments.variations import variation_check
from sib.models import Programme

# The variation page's preview: each payer's due now and once varied (payments.dues_preview).
VariationPreview = DuesPreview


def variation_preview(
    *, programme: Programme, kind: str, effective_date: date, reason: str, parameters: Any
) -> VariationPreview:
    """Return what each payer owes now and would owe once the variation is recorded.

    Raises the service's ValidationError, naming the field, for a variation it refuses;
    RuleError when the rules cannot price the results under it.
    """
    checked = variation_check(
        programme=programme,
        kind=kind,
        effective_date=effective_date,
        reason=reason,
        parameters=parameters,
    )
    varied = {"effective_date": effective_date.isoformat(), "kind": kind, "parameters": checked}
    before = outcome_payments_compute(programme=programme).payer_totals
    after = outcome_payments_compute(programme=programme, as_if_varied=[varied]).payer_totals
    was = {item.payer: item.amount for item in before}
    will = {item.payer: item.amount for item in after}
    # The change is the engine's (after - before), added to the ledger's due: the same
    # figure the restatement books when the variation is recorded; the redemptions are
    # the schedule's on the varied terms (an early redemption), as the ledger books them.
    return dues_preview(
        programme=programme,
        outcome_change={p: will.get(p, 0) - was.get(p, 0) for p in was | will},
        redemptions=redemptions_owed(programme=programme, varied=[varied]),
    )
