"""Price results measured on absolute values: a difference of counts, a rate in bands.

Each verified result is priced on its own, dated at its period's end, like a rate
card's aggregate count: a cohort measured in several periods is paid for each period's
result, and a difference below zero in one period takes nothing back from another.

- ``absolute_difference``: the difference (comparison - treated when lower is better,
  treated - comparison when higher is better) is in whole units; the claim's ``count`` is
  that difference and its ``amount`` difference x the (indexed) price per unit — exact in
  minor units, no rounding. A difference of 0 or less, or below ``threshold``, is not
  payable (``below_threshold``, for 0). The claim's ``improvement`` carries the
  difference itself ("30", or "-5" for a cohort that did worse).
- ``banded_rate``: the rate achieved / measured is quantised to 0.0001, half even
  (``quantise_rate``), then placed in a band (lower bound included, upper excluded).
  The band's (indexed) amount is paid once for the cohort, or once per participant
  measured; ``count`` is the participants measured and ``improvement`` the rate. Below
  the lowest band: ``below_threshold``, for 0.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from outcomes.absolute_mechanisms import AbsoluteDifferenceMechanism, BandedRateMechanism
from outcomes.mechanism_terms import TierBasis, quantise_rate
from outcomes.rule_json import RuleError
from payments.rules.programme import Claim, NotPayable, NotPayableReason, ProgrammeRules

# The mechanisms this module prices, by kind.
ABSOLUTE_KINDS = (AbsoluteDifferenceMechanism.kind, BandedRateMechanism.kind)


@dataclass(frozen=True, slots=True)
class DifferenceResult:
    """A verified count of events in the treated group and in its comparison group."""

    id: str
    metric: str
    cohort: str
    period: str
    reported_on: date
    treated_count: int
    comparison_count: int


@dataclass(frozen=True, slots=True)
class BandedRateResult:
    """A verified count of participants achieving the outcome among those measured."""

    id: str
    metric: str
    cohort: str
    period: str
    reported_on: date
    achieved: int
    measured: int


def absolute_result(
    kind: str,
    result_id: str,
    place: tuple[str, str, str],
    on: date,
    where: str,
    value: Decimal,
    comparison_value: Decimal | None,
    sample_size: int | None,
) -> DifferenceResult | BandedRateResult:
    """Return a verified result's values as this module prices them (``kind``'s input).

    Results are dated ``on`` (their period's end); ``where`` is the result's path in
    errors (``results[12]``).

    ``absolute_difference``: ``value`` is the treated group's count, ``comparison_value``
    the comparison group's; ``banded_rate``: ``value`` is the participants achieving,
    ``sample_size`` those measured. Counts are whole: a fraction is refused naming the
    field (``results[12].comparison_value``), never rounded.
    """
    if kind == AbsoluteDifferenceMechanism.kind:
        if comparison_value is None:
            raise RuleError(f"{where}.comparison_value", "is required for an absolute difference")
        return DifferenceResult(
            result_id,
            *place,
            reported_on=on,
            treated_count=_whole(value, f"{where}.value"),
            comparison_count=_whole(comparison_value, f"{where}.comparison_value"),
        )
    if sample_size is None:
        raise RuleError(f"{where}.sample_size", "is required: the participants measured")
    return BandedRateResult(
        result_id,
        *place,
        reported_on=on,
        achieved=_whole(value, f"{where}.value"),
        measured=sample_size,
    )


def _whole(value: Decimal, where: str) -> int:
    if value != value.to_integral_value():
        raise RuleError(where, f"must be a whole number, not {value.normalize()}")
    return int(value)


def difference_claims(
    rules: ProgrammeRules, results: Iterable[DifferenceResult]
) -> tuple[list[Claim], list[NotPayable]]:
    """Pay each result's difference in units at its metric's price per unit."""
    claims: list[Claim] = []
    refused: list[NotPayable] = []
    for result in results:
        mechanism = rules.metric(result.metric).mechanism
        assert isinstance(mechanism, AbsoluteDifferenceMechanism)  # compute.py checks kinds
        units = mechanism.difference(result.treated_count, result.comparison_count)
        unit_price = rules.price_on(mechanism.price_per_unit, result.reported_on)
        claim = Claim(
            metric=result.metric,
            cohort=result.cohort,
            period=result.period,
            on=result.reported_on,
            result_ids=(result.id,),
            count=units,
            amount=units * unit_price,
            unit_price=unit_price,
            improvement=Decimal(units),
        )
        if units > 0 and (mechanism.threshold is None or units >= mechanism.threshold):
            claims.append(claim)
        else:
            nothing = replace(claim, count=0, amount=0)
            refused.append(NotPayable(nothing, NotPayableReason.BELOW_THRESHOLD))
    return claims, refused


def band_rate(achieved: int, measured: int, where: str) -> Decimal:
    """Return achieved / measured quantised to 0.0001, refusing what is not a rate."""
    if measured <= 0:
        raise RuleError(f"{where}.measured", "must be above 0 to measure a rate")
    if achieved > measured:
        raise RuleError(f"{where}.achieved", f"must not exceed the {measured} measured")
    return quantise_rate(Decimal(achieved) / measured)


def banded_rate_claims(
    rules: ProgrammeRules, results: Iterable[BandedRateResult]
) -> tuple[list[Claim], list[NotPayable]]:
    """Pay each result the amount of the band its rate falls in."""
    claims: list[Claim] = []
    refused: list[NotPayable] = []
    for result in results:
        mechanism = rules.metric(result.metric).mechanism
        assert isinstance(mechanism, BandedRateMechanism)  # compute.py checks kinds
        rate = band_rate(result.achieved, result.measured, f"banded_rate_results[{result.id}]")
        band = mechanism.band(rate)
        place = (result.metric, result.cohort, result.period)
        if band is None:
            nothing = Claim(*place, result.reported_on, (result.id,), 0, 0, improvement=rate)
            refused.append(NotPayable(nothing, NotPayableReason.BELOW_THRESHOLD))
            continue
        unit_price = rules.price_on(band.amount, result.reported_on)
        per_participant = mechanism.basis is TierBasis.PER_PARTICIPANT
        claims.append(
            Claim(
                *place,
                on=result.reported_on,
                result_ids=(result.id,),
                count=result.measured,
                amount=unit_price * result.measured if per_participant else unit_price,
                unit_price=unit_price,
                improvement=rate,
            )
        )
    return claims, refused
