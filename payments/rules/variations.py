"""Contract variations applied to priced claims, each from its effective date.

A variation (payments.models.variations) changes the terms from a date on; a claim is
dated as its mechanism dates it (`Claim.on`: the outcome's achievement date, a
comparison's report date). Applied after pricing and before the caps, so what a
variation stops never uses a cap's headroom:

- ``price_change`` {"metric", "price"}: a rate-card claim dated on or after the date is
  priced at the new price (indexed like the old one); the latest change in force wins.
- ``pause`` then ``resume``: a claim dated on or after the pause and before the
  resumption is not payable, reason ``paused``.
- ``cohort_removed`` {"cohort"}: a claim of that cohort dated on or after the date is not
  payable, reason ``cohort_removed``.
- ``early_redemption`` {}: the programme is redeemed early (payments.engine.redemption):
  a claim dated on or after the date is not payable, reason ``redeemed``.
- ``grant_payments`` {"periods", "amount"}: each period listed is paid by a fixed grant of
  ``amount`` instead of by results. Every claim of that period, whatever its date, is
  not payable, reason ``grant_payments`` (its results are still verified and listed with
  what they would have paid); the grant is one more claim, metric and cohort
  ``GRANT_METRIC``, dated on the effective date (its place in the caps' date order),
  under the contract's cap and the payers' caps like any outcome payment, and split by
  the programme-wide payer shares (``ProgrammeRules.shares_for``).

Worked example (price 800 → 1,000 from 1 July): 5 outcomes in May pay 5 × 800 and 3 in
August 3 × 1,000: 7,000.00 in all. Grant: 2026-H2 switched to 50,000.00 from 1 July; its
outcomes priced at 42,000.00 pay 0, the payers owe 50,000.00 for the period instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from outcomes.mechanisms import RateCardMechanism
from payments.rules.programme import (
    GRANT_METRIC,
    Claim,
    NotPayable,
    NotPayableReason,
    ProgrammeRules,
)


@dataclass(frozen=True, slots=True)
class PriceChange:
    metric: str
    effective: date
    price: int


@dataclass(frozen=True, slots=True)
class Grant:
    period: str
    effective: date
    amount: int


@dataclass(frozen=True, slots=True)
class Variations:
    """The variations in force, read from the contract terms' ``variations`` list."""

    prices: tuple[PriceChange, ...] = ()
    # Half-open [paused, resumed) intervals; resumed None: still paused.
    pauses: tuple[tuple[date, date | None], ...] = ()
    # cohort code -> the date it is removed from.
    removed: tuple[tuple[str, date], ...] = ()
    # The early redemption's date, None: not redeemed early.
    redeemed: date | None = None
    grants: tuple[Grant, ...] = ()

    @classmethod
    def from_terms(cls, items: Sequence[dict[str, Any]]) -> Variations:
        prices: list[PriceChange] = []
        pauses: list[tuple[date, date | None]] = []
        removed: list[tuple[str, date]] = []
        redeemed: date | None = None
        grants: list[Grant] = []
        for item in items:  # in effective-date order (payments.models.variation_terms)
            on = date.fromisoformat(item["effective_date"])
            parameters = item.get("parameters") or {}
            kind = item["kind"]
            if kind == "price_change":
                prices.append(PriceChange(parameters["metric"], on, int(parameters["price"])))
            elif kind == "pause":
                pauses.append((on, None))
            elif kind == "resume" and pauses and pauses[-1][1] is None:
                pauses[-1] = (pauses[-1][0], on)
            elif kind == "cohort_removed":
                removed.append((parameters["cohort"], on))
            elif kind == "early_redemption":
                redeemed = on
            elif kind == "grant_payments":
                amount = int(parameters["amount"])
                grants += [Grant(period, on, amount) for period in parameters["periods"]]
        return cls(tuple(prices), tuple(pauses), tuple(removed), redeemed, tuple(grants))

    def __bool__(self) -> bool:
        return bool(self.prices or self.pauses or self.removed or self.redeemed or self.grants)

    def grant_claims(self) -> list[Claim]:
        """Return each switched period's grant as a claim, dated on its effective date."""
        return [
            Claim(GRANT_METRIC, GRANT_METRIC, g.period, g.effective, (), 0, g.amount)
            for g in self.grants
        ]

    def stopped(self, claim: Claim) -> NotPayableReason | None:
        """Return why a variation stops this claim, or None when it pays."""
        if self.redeemed is not None and claim.on >= self.redeemed:
            return NotPayableReason.REDEEMED
        for cohort, since in self.removed:
            if claim.cohort == cohort and claim.on >= since:
                return NotPayableReason.COHORT_REMOVED
        if any(grant.period == claim.period for grant in self.grants):
            return NotPayableReason.GRANT_PAYMENTS
        for paused, resumed in self.pauses:
            if paused <= claim.on and (resumed is None or claim.on < resumed):
                return NotPayableReason.PAUSED
        return None

    def price(self, metric: str, on: date) -> int | None:
        """Return the varied base price of a rate-card metric on a day (None: unchanged)."""
        changes = [p for p in self.prices if p.metric == metric and p.effective <= on]
        return changes[-1].price if changes else None


def apply_variations(
    claims: Sequence[Claim], rules: ProgrammeRules, variations: Variations
) -> tuple[list[Claim], list[NotPayable]]:
    """Reprice and stop claims as the variations say; return (claims, not payable)."""
    kept: list[Claim] = []
    refused: list[NotPayable] = []
    for claim in claims:
        price = variations.price(claim.metric, claim.on) if claim.unit_price is not None else None
        if price is not None and isinstance(
            rules.metric(claim.metric).mechanism, RateCardMechanism
        ):
            unit = rules.price_on(price, claim.on)
            claim = replace(claim, unit_price=unit, amount=claim.count * unit)
        reason = variations.stopped(claim)
        if reason is None:
            kept.append(claim)
        else:
            refused.append(NotPayable(claim, reason))
    return kept, refused
