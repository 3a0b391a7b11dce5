"""The contract cap's use: one reading for the dashboard, the API and every report.

The contract cap limits what the contract makes payers owe, not what they have paid so
far (issue 11): a payer who has not paid yet still owes, and what it owes counts against
the cap the moment a result is verified (payments.accrual books it then). So the cap's
use is the verified outcome payments due: the position's `due` (disputed part included:
a dispute holds an amount apart, it does not free the cap) less its `redemption`,
because a principal redemption a payer owes (payments.redemption_dues) is principal
coming back to the investors, not an outcome payment. Two figures read it:
- the share used, that ÷ the cap: 1 470 000 € due under a 1 500 000 € cap is 98.0 %,
  whether 0 € or all of it was received;
- what is left under the cap, the cap less that: 30 000 € (issue 11: the dashboard read
  it from the schedule's headroom before, which counts what a payer's own cap stops and
  so could disagree with the share beside it).
No cap given: neither (None), printed as "—".

Pure arithmetic, no ORM: the selectors (payments.selectors_portal, payments.apis_position,
reports.selectors) call it with the position's totals and the renderers only format what
it returns.
"""

from collections.abc import Mapping
from fractions import Fraction


def outcome_dues(*, totals: Mapping[str, int | None]) -> int:
    """Return the outcome payments due: the position's `due` less its `redemption`."""
    return (totals["due"] or 0) - (totals["redemption"] or 0)


def cap_share_used(*, totals: Mapping[str, int | None], cap: int | None) -> Fraction | None:
    """Return the outcome payments due ÷ `cap`, exactly; None when the contract gives no cap."""
    if not cap:
        return None
    return Fraction(outcome_dues(totals=totals), cap)


def cap_remaining(*, totals: Mapping[str, int | None], cap: int | None) -> int | None:
    """Return what is left under `cap` (minor units): the cap less the outcome payments
    due; None when the contract gives no cap."""
    if cap is None:
        return None
    return cap - outcome_dues(totals=totals)
