"""The share of the contract cap used: one reading for the dashboard and every report.

The contract cap limits what the contract makes payers owe, not what they have paid so
far (issue 11): a payer who has not paid yet still owes, and what it owes counts against
the cap the moment a result is verified (payments.accrual books it then). So the share
used is the verified outcome payments due (the position's `due`, disputed part included:
a dispute holds an amount apart, it does not free the cap) divided by the cap. Example:
1 470 000 € due under a 1 500 000 € cap is 98.0 % used, whether 0 € or all of it was
received. No cap given: no share (None), printed as "—".

Pure arithmetic, no ORM: the selectors (payments.selectors_portal, reports.selectors)
call it with the position's figures and the renderers only format what it returns.
"""

from collections.abc import Mapping
from fractions import Fraction


def cap_share_used(*, totals: Mapping[str, int | None], cap: int | None) -> Fraction | None:
    """Return the outcome payments due ÷ `cap`, exactly; None when the contract gives no cap.

    `totals` are the position's: its `due` less its `redemption`, because a principal
    redemption a payer owes (payments.redemption_dues) is principal coming back to the
    investors, not an outcome payment, and the contract cap limits outcome payments only.
    """
    if not cap:
        return None
    return Fraction((totals["due"] or 0) - (totals["redemption"] or 0), cap)
