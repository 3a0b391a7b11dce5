"""Price savings-share results: a share of public cost avoided, switching once.

The payer pays ``share_before_percent`` of each verified cost avoided until
the cumulative savings-share payments cover the investors' agreed principal
plus return (``repayment_target``, supplied by the caller from the capital
structure), then ``share_after_percent`` of what is avoided afterwards.

Under ``payment_terms.savings_switch = "repaid"`` the caller passes
``RepaidOn`` instead of a target: a result achieved on or before the date the
investors' principal is repaid in the computed schedule pays the first share
of its cost avoided, a result achieved after it the second, each rounded to
the cent half up; no result is split (payments.schedule_builder finds the
date, docs/programme-format.md has the rule and a worked example).

Results are taken in date order (tie-break: metric code, then result id). The
result that crosses the target is split in two claims: the part of its cost
avoided needed to reach the target exactly, at the first share, and the rest
at the second share. Each part is rounded to the cent, half up; the first
part is exactly the headroom, so the target is met to the cent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from outcomes.mechanisms import HUNDRED, SavingsShareMechanism, to_cents
from outcomes.rule_json import RuleError
from payments.rules.programme import Claim, ProgrammeRules


@dataclass(frozen=True, slots=True)
class RepaidOn:
    """The share switches after ``on``, the repayment date (None: not repaid yet)."""

    on: date | None


@dataclass(frozen=True, slots=True)
class SavingsResult:
    """A verified public cost avoided, in minor units, for a metric x cohort x period."""

    id: str
    metric: str
    cohort: str
    period: str
    achieved_on: date
    cost_avoided: int


def savings_share_claims(
    rules: ProgrammeRules,
    results: Iterable[SavingsResult],
    repayment_target: int | RepaidOn | None,
) -> list[Claim]:
    """Price each cost avoided at the share in force when it is reached."""
    results = sorted(results, key=lambda r: (r.achieved_on, r.metric, r.id))
    if isinstance(repayment_target, RepaidOn):
        return _claims_on_repayment(rules, results, repayment_target.on)
    if repayment_target is None:
        if results:
            raise RuleError("repayment_target", "is required to price savings-share results")
        return []
    claims: list[Claim] = []
    paid = 0
    for result in results:
        mechanism = rules.metric(result.metric).mechanism
        assert isinstance(mechanism, SavingsShareMechanism)  # compute.py checks kinds first
        before, after = mechanism.share_before_percent, mechanism.share_after_percent
        headroom = max(repayment_target - paid, 0)
        full_before = to_cents(Decimal(result.cost_avoided) * before / HUNDRED)
        parts: list[tuple[Decimal, Decimal, int]]
        if full_before <= headroom:
            parts = [(Decimal(result.cost_avoided), before, full_before)]
        else:
            # Cost avoided that pays the headroom exactly at the first share;
            # the remainder of this result is already a success payment.
            cost_before = Decimal(headroom) * HUNDRED / before
            cost_after = Decimal(result.cost_avoided) - cost_before
            parts = [
                (cost_before, before, headroom),
                (cost_after, after, to_cents(cost_after * after / HUNDRED)),
            ]
        for cost, share, amount in parts:
            if cost <= 0:
                continue
            claims.append(
                Claim(
                    metric=result.metric,
                    cohort=result.cohort,
                    period=result.period,
                    on=result.achieved_on,
                    result_ids=(result.id,),
                    count=1,
                    amount=amount,
                    share_percent=share,
                )
            )
            paid += amount
    return claims


def _claims_on_repayment(
    rules: ProgrammeRules, results: list[SavingsResult], repaid_on: date | None
) -> list[Claim]:
    """Price each result whole at the share in force on its date."""
    claims: list[Claim] = []
    for result in results:
        mechanism = rules.metric(result.metric).mechanism
        assert isinstance(mechanism, SavingsShareMechanism)  # compute.py checks kinds first
        after = repaid_on is not None and result.achieved_on > repaid_on
        share = mechanism.share_after_percent if after else mechanism.share_before_percent
        amount = to_cents(Decimal(result.cost_avoided) * share / HUNDRED)
        if result.cost_avoided <= 0:
            continue
        claims.append(
            Claim(
                metric=result.metric,
                cohort=result.cohort,
                period=result.period,
                on=result.achieved_on,
                result_ids=(result.id,),
                count=1,
                amount=amount,
                share_percent=share,
            )
        )
    return claims
