"""Price results measured against a counterfactual or against a target.

Comparison deals (the Peterborough pattern): each cohort's improvement over
its comparison group is quantised to 0.0001, half even (``quantise_rate``),
then compared with the thresholds — so exactly at the threshold pays and one
ten-thousandth below pays nothing.

- A completed cohort at or above ``cohort_threshold`` is paid early on its own
  improvement.
- The cohorts not paid early are paid once, on the pooled improvement of all
  completed cohorts (treated and comparison values weighted by their sample
  sizes), if it reaches ``pooled_threshold``. The pool is assessed when every
  cohort the deal names is completed, or when the contract was terminated.
- A price per percentage point pays for the whole improvement, not only the
  part above the threshold: 12.34 points x price x cohort size, rounded to the
  cent half up. A tiered table pays the amount of the band the improvement
  falls in, per participant or per cohort.

Target deals pay a cohort whose outcome rate reaches the target rate adjusted
for attrition (``attrition_adjusted_target``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from outcomes.mechanisms import (
    HUNDRED,
    ComparisonMechanism,
    Direction,
    TargetMechanism,
    TierBasis,
    quantise_rate,
    to_cents,
)
from outcomes.rule_json import RuleError
from payments.rules.programme import Claim, NotPayable, NotPayableReason, ProgrammeRules


@dataclass(frozen=True, slots=True)
class ComparisonResult:
    """A verified treated vs comparison value for one cohort of a metric."""

    id: str
    metric: str
    cohort: str
    period: str
    reported_on: date
    treated_value: Decimal
    comparison_value: Decimal
    treated_size: int
    comparison_size: int
    completed: bool


@dataclass(frozen=True, slots=True)
class TargetResult:
    """A verified count of participants achieving the outcome in one cohort."""

    id: str
    metric: str
    cohort: str
    period: str
    achieved_on: date
    cohort_size: int
    leavers: int
    achieved: int


def improvement(treated: Decimal, comparison: Decimal, direction: Direction) -> Decimal:
    """Return the relative improvement of treated over comparison, quantised to 0.0001."""
    if comparison <= 0:
        raise RuleError("comparison_value", "must be above 0 to measure an improvement")
    if direction is Direction.LOWER_IS_BETTER:
        return quantise_rate((comparison - treated) / comparison)
    return quantise_rate((treated - comparison) / comparison)


def pooled_improvement(results: Iterable[ComparisonResult], direction: Direction) -> Decimal:
    """Return the improvement of the size-weighted pooled treated and comparison values."""
    results = list(results)
    treated_size = sum(result.treated_size for result in results)
    comparison_size = sum(result.comparison_size for result in results)
    if treated_size <= 0 or comparison_size <= 0:
        raise RuleError("treated_size", "a pool needs participants on both sides")
    treated = sum((r.treated_value * r.treated_size for r in results), Decimal(0)) / treated_size
    comparison = (
        sum((r.comparison_value * r.comparison_size for r in results), Decimal(0)) / comparison_size
    )
    return improvement(treated, comparison, direction)


def attrition_adjusted_target(target_rate: Decimal, cohort_size: int, leavers: int) -> Decimal:
    """Return the target rate among remaining participants, quantised to 0.0001.

    The contracted number of outcomes stays ``target_rate x cohort_size``;
    spread over those who remain, the rate rises: 50 % of 100 with 20 leavers
    is 50 / 80 = 0.6250.
    """
    remaining = cohort_size - leavers
    if remaining <= 0:
        raise RuleError("leavers", "must leave at least one participant in the cohort")
    return quantise_rate(target_rate * cohort_size / remaining)


def comparison_claims(
    rules: ProgrammeRules,
    metric: str,
    results: Iterable[ComparisonResult],
    *,
    terminated: bool = False,
) -> tuple[list[Claim], list[NotPayable]]:
    """Price one comparison metric's cohorts: early payments, then the pooled payment."""
    mechanism = rules.metric(metric).mechanism
    assert isinstance(mechanism, ComparisonMechanism)  # compute.py checks kinds first
    claims: list[Claim] = []
    refused: list[NotPayable] = []
    completed: dict[str, ComparisonResult] = {}
    for result in sorted(results, key=lambda r: (r.reported_on, r.cohort, r.id)):
        if result.cohort not in mechanism.cohorts:
            raise RuleError(f"comparison_results[{result.id}].cohort", f"unknown {result.cohort!r}")
        if not result.completed:
            refused.append(_nothing(result, NotPayableReason.COHORT_NOT_COMPLETED, None))
        elif result.cohort in completed:
            raise RuleError(
                f"comparison_results[{result.id}].cohort",
                f"cohort {result.cohort!r} has two completed results",
            )
        else:
            completed[result.cohort] = result

    waiting: list[ComparisonResult] = []
    for result in completed.values():
        gain = improvement(result.treated_value, result.comparison_value, mechanism.direction)
        early = mechanism.cohort_threshold
        if early is not None and gain >= early:
            claim = _price(rules, mechanism, result, gain, (result.id,), result.reported_on)
            if claim is None:
                refused.append(_nothing(result, NotPayableReason.BELOW_THRESHOLD, gain))
            else:
                claims.append(claim)
        elif mechanism.pooled_threshold is None:
            refused.append(_nothing(result, NotPayableReason.BELOW_THRESHOLD, gain))
        else:
            waiting.append(result)

    pool_ready = terminated or set(completed) == set(mechanism.cohorts)
    if not waiting:
        return claims, refused
    if not pool_ready:
        for result in waiting:
            refused.append(_nothing(result, NotPayableReason.AWAITING_POOLED_RESULT, None))
        return claims, refused
    # The pool covers every completed cohort, early-paid ones included, but
    # pays only the cohorts still waiting: the deal pays each cohort once.
    pool = sorted(completed.values(), key=lambda r: r.cohort)
    gain = pooled_improvement(pool, mechanism.direction)
    pool_ids = tuple(sorted(r.id for r in pool))
    pool_date = max(r.reported_on for r in pool)
    pooled_threshold = mechanism.pooled_threshold
    for result in waiting:
        claim = None
        if pooled_threshold is not None and gain >= pooled_threshold:
            claim = _price(rules, mechanism, result, gain, pool_ids, pool_date)
        if claim is None:
            refused.append(_nothing(result, NotPayableReason.BELOW_THRESHOLD, gain, pool_ids))
        else:
            claims.append(claim)
    return claims, refused


def _price(
    rules: ProgrammeRules,
    mechanism: ComparisonMechanism,
    result: ComparisonResult,
    gain: Decimal,
    result_ids: tuple[str, ...],
    on: date,
) -> Claim | None:
    if gain <= 0:
        return None
    size = result.treated_size
    if mechanism.price_per_point is not None:
        unit_price = rules.price_on(mechanism.price_per_point, on)
        amount = to_cents(unit_price * gain * HUNDRED * size)
    else:
        tier = next((tier for tier in mechanism.tiers if tier.contains(gain)), None)
        if tier is None:
            return None
        unit_price = rules.price_on(tier.amount, on)
        per_participant = mechanism.tier_basis is TierBasis.PER_PARTICIPANT
        amount = unit_price * size if per_participant else unit_price
    return Claim(
        metric=result.metric,
        cohort=result.cohort,
        period=result.period,
        on=on,
        result_ids=result_ids,
        count=size,
        amount=amount,
        unit_price=unit_price,
        improvement=gain,
    )


def _nothing(
    result: ComparisonResult,
    reason: NotPayableReason,
    gain: Decimal | None,
    result_ids: tuple[str, ...] | None = None,
) -> NotPayable:
    claim = Claim(
        metric=result.metric,
        cohort=result.cohort,
        period=result.period,
        on=result.reported_on,
        result_ids=result_ids or (result.id,),
        count=0,
        amount=0,
        improvement=gain,
    )
    return NotPayable(claim, reason)


def target_claims(
    rules: ProgrammeRules, results: Iterable[TargetResult]
) -> tuple[list[Claim], list[NotPayable]]:
    """Pay each cohort whose outcome rate reaches its attrition-adjusted target."""
    claims: list[Claim] = []
    refused: list[NotPayable] = []
    for result in results:
        mechanism = rules.metric(result.metric).mechanism
        assert isinstance(mechanism, TargetMechanism)  # compute.py checks kinds first
        target = attrition_adjusted_target(
            mechanism.target_rate, result.cohort_size, result.leavers
        )
        rate = quantise_rate(Decimal(result.achieved) / (result.cohort_size - result.leavers))
        unit_price = rules.price_on(mechanism.amount, result.achieved_on)
        claim = Claim(
            metric=result.metric,
            cohort=result.cohort,
            period=result.period,
            on=result.achieved_on,
            result_ids=(result.id,),
            count=result.achieved,
            amount=unit_price,
            unit_price=unit_price,
            improvement=rate,
        )
        if rate >= target:
            claims.append(claim)
        else:
            refused.append(NotPayable(replace(claim, amount=0), NotPayableReason.BELOW_TARGET))
    return claims, refused
