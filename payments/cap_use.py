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

A payment received is checked against the cap the same way (payments.services,
payments.joint_payments): only what settles outcome dues counts, not money paid ahead
or towards a principal redemption (`outcome_received`, `cap_counted`).

Pure arithmetic, no ORM: the selectors (payments.selectors_portal, payments.apis_position,
reports.selectors) call it with the position's totals and the renderers only format what
it returns.
"""

from collections.abc import Iterable, Mapping
from fractions import Fraction
from typing import Protocol


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


class PayerFigures(Protocol):
    """A payer's position (payments.position.PayerPosition), as the cap reads it."""

    @property
    def due(self) -> int: ...
    @property
    def redemption(self) -> int: ...
    @property
    def received(self) -> int: ...
    @property
    def advance(self) -> int: ...


def outcome_received(payer: PayerFigures) -> int:
    """Return what `payer` paid towards its outcome dues: what it paid less its advance,
    at most its outcome dues (`due` less `redemption`). Money paid ahead, towards a
    principal redemption, or beyond its dues after a restatement (its credit) is not an
    outcome payment, so the contract cap does not count it."""
    return max(min(payer.received - payer.advance, payer.due - payer.redemption), 0)


def cap_counted(payer: PayerFigures, amount: int) -> int:
    """Return the part of a payment of `amount` by `payer` (within what it owes) that the
    contract cap counts: what it settles of the payer's outcome dues not yet paid."""
    return max(min(amount, payer.due - payer.redemption - outcome_received(payer)), 0)


def cap_received(payers: Iterable[PayerFigures]) -> int:
    """Return the outcome payments received from every payer: what the cap counts."""
    return sum(outcome_received(payer) for payer in payers)
