"""Price rate-card outcomes and apply caps in the deal's date order.

A rate card pays a price per verified outcome unit. Outcomes come either one
per participant (so a per-participant cap can apply) or as a verified count
per metric x cohort x period. Caps are applied in a fixed order — per
participant, per metric (count, then amount), then the whole contract — each
walking claims in date order (tie-break: metric code, then result id). What a
cap stops is returned as ``NotPayable`` naming that cap; nothing is dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date

from payments.rules.definitions import (
    Claim,
    NotPayable,
    NotPayableReason,
    ProgrammeRules,
    RateCardMechanism,
)


@dataclass(frozen=True, slots=True)
class ParticipantOutcome:
    """One verified outcome of one participant, known only by pseudonym."""

    id: str
    pseudonym: str
    metric: str
    cohort: str
    period: str
    achieved_on: date


@dataclass(frozen=True, slots=True)
class AggregateResult:
    """A verified count of outcomes for a metric x cohort x period, dated."""

    id: str
    metric: str
    cohort: str
    period: str
    count: int
    achieved_on: date


def rate_card_claims(
    rules: ProgrammeRules,
    outcomes: Iterable[ParticipantOutcome],
    aggregates: Iterable[AggregateResult],
) -> list[Claim]:
    """Price each outcome at its metric's price, indexed by the outcome's date."""
    claims = []
    for outcome in outcomes:
        price = _price(rules, outcome.metric, outcome.achieved_on)
        claims.append(
            Claim(
                metric=outcome.metric,
                cohort=outcome.cohort,
                period=outcome.period,
                on=outcome.achieved_on,
                result_ids=(outcome.id,),
                count=1,
                amount=price,
                unit_price=price,
                participant=outcome.pseudonym,
            )
        )
    for result in aggregates:
        price = _price(rules, result.metric, result.achieved_on)
        claims.append(
            Claim(
                metric=result.metric,
                cohort=result.cohort,
                period=result.period,
                on=result.achieved_on,
                result_ids=(result.id,),
                count=result.count,
                amount=result.count * price,
                unit_price=price,
            )
        )
    return sorted(claims, key=lambda claim: claim.order)


def _price(rules: ProgrammeRules, metric: str, on: date) -> int:
    mechanism = rules.metric(metric).mechanism
    assert isinstance(mechanism, RateCardMechanism)  # compute.py checks kinds first
    return rules.price_on(mechanism.price, on)


def apply_amount_cap(
    claims: Sequence[Claim],
    limit: int | None,
    reason: NotPayableReason,
    group: Callable[[Claim], Hashable] = lambda claim: None,
) -> tuple[list[Claim], list[NotPayable]]:
    """Pay claims in date order until each group's total reaches ``limit``.

    The claim that crosses the limit pays the remaining headroom and the rest
    of it is not payable; later claims in the group are not payable at all.
    Claims outside any group (``group`` returns None) with a per-group cap —
    e.g. aggregate counts under the per-participant cap — pass untouched.
    """
    if limit is None:
        return list(claims), []
    paid: list[Claim] = []
    refused: list[NotPayable] = []
    used: dict[Hashable, int] = {}
    for claim in sorted(claims, key=lambda claim: claim.order):
        key = group(claim)
        headroom = limit - used.get(key, 0)
        if claim.amount <= headroom:
            paid.append(claim)
            used[key] = used.get(key, 0) + claim.amount
        elif headroom > 0:
            # A partly paid outcome still counts as paid (count stays on the
            # paid part) so a later outcome cannot jump the queue.
            paid.append(replace(claim, amount=headroom))
            refused.append(
                NotPayable(replace(claim, amount=claim.amount - headroom, count=0), reason)
            )
            used[key] = limit
        else:
            refused.append(NotPayable(claim, reason))
    return paid, refused


def apply_participant_cap(
    claims: Sequence[Claim], cap: int | None
) -> tuple[list[Claim], list[NotPayable]]:
    """Cap what one participant earns across all metrics, in date order."""
    individual = [claim for claim in claims if claim.participant is not None]
    aggregate = [claim for claim in claims if claim.participant is None]
    paid, refused = apply_amount_cap(
        individual, cap, NotPayableReason.PARTICIPANT_CAP, lambda claim: claim.participant
    )
    return sorted(paid + aggregate, key=lambda claim: claim.order), refused


def apply_count_caps(
    claims: Sequence[Claim], rules: ProgrammeRules
) -> tuple[list[Claim], list[NotPayable]]:
    """Pay at most ``max_count`` outcome units per metric, in date order."""
    paid: list[Claim] = []
    refused: list[NotPayable] = []
    used: dict[str, int] = {}
    for claim in sorted(claims, key=lambda claim: claim.order):
        limit = rules.metric(claim.metric).max_count
        if limit is None:
            paid.append(claim)
            continue
        units = min(claim.count, limit - used.get(claim.metric, 0))
        used[claim.metric] = used.get(claim.metric, 0) + units
        if units == claim.count:
            paid.append(claim)
            continue
        # Only aggregate claims carry several units, each at the full unit
        # price, so the paid part is exactly units x price.
        paid_amount = claim.amount * units // claim.count
        if units > 0:
            paid.append(replace(claim, count=units, amount=paid_amount))
        refused.append(
            NotPayable(
                replace(claim, count=claim.count - units, amount=claim.amount - paid_amount),
                NotPayableReason.METRIC_COUNT_CAP,
            )
        )
    return paid, refused
