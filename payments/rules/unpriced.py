"""Results on metrics the contract does not price: tracked only, or at an undisclosed price.

A verified result on such a metric is evidence of outcomes, and is worth nothing to the
ledger: the engine lists it as not payable, with an amount of 0 and the reason
(``tracked`` or ``price_undisclosed``), so that it is accounted for and never dropped
silently, and so that nothing pretends to know a price the contract does not give.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from outcomes.mechanisms import TrackedMechanism
from payments.rules.programme import Claim, NotPayable, NotPayableReason, ProgrammeRules

# The reasons a not-payable line gives for such a result (the schedule's `reason`).
UNPRICED_REASONS = frozenset({NotPayableReason.TRACKED, NotPayableReason.PRICE_UNDISCLOSED})


@dataclass(frozen=True, slots=True)
class UnpricedResult:
    """A verified result of a ``tracked`` or ``undisclosed`` metric x cohort x period."""

    id: str
    metric: str
    cohort: str
    period: str
    reported_on: date


def unpriced_not_payable(
    rules: ProgrammeRules, results: Iterable[UnpricedResult]
) -> list[NotPayable]:
    """Return each result as not payable, for 0, with the reason its metric gives."""
    refused = []
    for result in results:
        tracked = isinstance(rules.metric(result.metric).mechanism, TrackedMechanism)
        claim = Claim(
            metric=result.metric,
            cohort=result.cohort,
            period=result.period,
            on=result.reported_on,
            result_ids=(result.id,),
            count=0,
            amount=0,
        )
        reason = NotPayableReason.TRACKED if tracked else NotPayableReason.PRICE_UNDISCLOSED
        refused.append(NotPayable(claim, reason))
    return refused
