"""The terms every payment mechanism shares: directions, bases, rates and rounding.

outcomes.mechanisms states the conventions (fractions for rates, percentages for shares,
money rounded half up to the cent, rates quantised half even to 0.0001 before any
threshold); they are implemented here once, so that every mechanism module reads them
from one place.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from enum import StrEnum

RATE_QUANTUM = Decimal("0.0001")
HUNDRED = Decimal(100)


class Direction(StrEnum):
    LOWER_IS_BETTER = "lower_is_better"
    HIGHER_IS_BETTER = "higher_is_better"


class TierBasis(StrEnum):
    PER_PARTICIPANT = "per_participant"
    PER_COHORT = "per_cohort"


def to_cents(amount: Decimal) -> int:
    """Round a Decimal amount of minor units to a whole cent, half up."""
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def quantise_rate(rate: Decimal) -> Decimal:
    """Quantise a rate or improvement to 0.0001, half even, before any threshold test."""
    return rate.quantize(RATE_QUANTUM, rounding=ROUND_HALF_EVEN)
