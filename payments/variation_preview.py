"""What a contract variation would change, before it is recorded: a read, nothing written.

The variation page's confirmation shows each payer's due now and once varied. Both come
from the engine the booking runs (payments.outcome_payments.outcome_payments_compute):
once with the variations recorded, once with the proposed one after them, as
`programme_vary` will chain it (a variation never comes before the last one). The
service's own check (payments.variations.variation_check) runs first, so a variation it
would refuse is refused here, at its field, before any figure.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

from payments.outcome_payments import outcome_payments_compute
from payments.position import PayerPosition, programme_position
from payments.variations import variation_check
from sib.models import Programme


@dataclass(frozen=True)
class PayerChange:
    """One payer's due (minor units) now, and once the variation is recorded."""

    payer: PayerPosition
    change: int

    @property
    def after(self) -> int:
        return self.payer.due + self.change


@dataclass(frozen=True)
class VariationPreview:
    rows: tuple[PayerChange, ...]

    @property
    def due(self) -> int:
        return sum(row.payer.due for row in self.rows)

    @property
    def change(self) -> int:
        return sum(row.change for row in self.rows)

    @property
    def after(self) -> int:
        return sum(row.after for row in self.rows)


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
    # figure the restatement books when the variation is recorded.
    return VariationPreview(
        rows=tuple(
            PayerChange(payer=p, change=will.get(p.payer, 0) - was.get(p.payer, 0))
            for p in programme_position(programme=programme).payers
        )
    )
