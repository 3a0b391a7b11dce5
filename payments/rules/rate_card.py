"""Price rate-card outcomes and apply caps in the deal's date order.

A rate card pays a price per verified outcome unit. Outcomes come either one
per participant (so a per-participant cap can apply) or as a verified count
per metric x cohort x period. ``apply_caps`` then walks every priced claim of
the programme (all mechanisms) in date order — tie-break metric code, then
result id — within the per-participant, per-metric (count, amount) and
contract caps (a period's grant: the contract's cap only). What a cap stops is returned
as ``NotPayable`` naming that cap; nothing is dropped.

Before pricing, ``payable_occurrences`` keeps the outcomes each participant may be paid
for under the metric's ``payable_per_participant`` (once by default, up to N, or each
occurrence); the caps then apply to what it keeps.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

from outcomes.mechanisms import RateCardMechanism
from payments.rules.programme import (
    GRANT_METRIC,
    Claim,
    NotPayable,
    NotPayableReason,
    ProgrammeRules,
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


def payable_occurrences(
    outcomes: Iterable[ParticipantOutcome], times: Mapping[str, int | None]
) -> tuple[list[ParticipantOutcome], list[tuple[ParticipantOutcome, ParticipantOutcome]]]:
    """Keep each participant's first outcomes per metric that the metric pays; list the rest.

    ``outcomes`` come in the order they are counted (the caller's: date achieved, then
    result, then record). ``times`` maps a metric code to how many of one participant's
    outcomes it pays — ``None`` for each occurrence, 1 for a metric it does not name.
    Return the outcomes kept, in the order given, and the others, each with the last
    outcome paid before it for the same participant and metric (the one that used up
    the allowance). Paying a person again beyond what the contract allows would pay
    twice for one life changed.
    """
    kept: list[ParticipantOutcome] = []
    repeats: list[tuple[ParticipantOutcome, ParticipantOutcome]] = []
    paid: dict[tuple[str, str], list[ParticipantOutcome]] = {}
    for outcome in outcomes:
        before = paid.setdefault((outcome.metric, outcome.pseudonym), [])
        limit = times.get(outcome.metric, 1)
        if limit is not None and len(before) >= limit:
            repeats.append((outcome, before[-1]))
            continue
        before.append(outcome)
        kept.append(outcome)
    return kept, repeats


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


def apply_caps(
    claims: Sequence[Claim], rules: ProgrammeRules
) -> tuple[list[Claim], list[NotPayable]]:
    """Pay claims in date order within every cap; return what is paid and what is not.

    One chronological pass checks all caps at once, so a cap's headroom is
    used only by what is actually paid: an outcome stopped by a metric cap
    does not eat the participant's own headroom. When a claim does not fit,
    the part above each cap's headroom is refused in the deal's order of
    precedence — participant, metric count, metric amount, contract — so each
    refused part names the cap that stopped it. A claim that exceeds its
    headroom pays the remaining headroom.
    """
    paid: list[Claim] = []
    refused: list[NotPayable] = []
    by_participant: defaultdict[str, int] = defaultdict(int)
    count_by_metric: defaultdict[str, int] = defaultdict(int)
    amount_by_metric: defaultdict[str, int] = defaultdict(int)
    contract = 0
    for claim in sorted(claims, key=lambda claim: claim.order):
        # A grant (payments.rules.variations) is under the contract's cap only.
        metric = rules.metric(claim.metric) if claim.metric != GRANT_METRIC else None
        max_count = metric.max_count if metric is not None else None
        max_amount = metric.max_amount if metric is not None else None
        pieces: list[NotPayable] = []
        units, amount = claim.count, claim.amount
        if claim.participant is not None and rules.participant_cap is not None:
            headroom = rules.participant_cap - by_participant[claim.participant]
            amount = _cut(claim, amount, headroom, NotPayableReason.PARTICIPANT_CAP, pieces)
        if max_count is not None and amount > 0:
            allowed = min(units, max_count - count_by_metric[claim.metric])
            if allowed < units:
                # Only aggregate claims carry several units, each at the full
                # unit price, so the allowed part is exactly allowed x price.
                kept = amount * allowed // units
                pieces.append(
                    NotPayable(
                        replace(claim, count=units - allowed, amount=amount - kept),
                        NotPayableReason.METRIC_COUNT_CAP,
                    )
                )
                units, amount = allowed, kept
        if max_amount is not None:
            headroom = max_amount - amount_by_metric[claim.metric]
            amount = _cut(claim, amount, headroom, NotPayableReason.METRIC_AMOUNT_CAP, pieces)
        if rules.contract_cap is not None:
            headroom = rules.contract_cap - contract
            amount = _cut(claim, amount, headroom, NotPayableReason.CONTRACT_CAP, pieces)
        if amount > 0:
            paid.append(replace(claim, count=units, amount=amount))
            if claim.participant is not None:
                by_participant[claim.participant] += amount
            count_by_metric[claim.metric] += units
            amount_by_metric[claim.metric] += amount
            contract += amount
        elif pieces:
            # Nothing paid: the outcome itself is refused, by the last cap
            # that took the remaining amount to zero.
            last = pieces[-1]
            pieces[-1] = NotPayable(replace(last.claim, count=units), last.reason)
        refused += pieces
    return paid, refused


def _cut(
    claim: Claim, amount: int, headroom: int, reason: NotPayableReason, pieces: list[NotPayable]
) -> int:
    """Refuse what of ``amount`` exceeds ``headroom`` for ``reason``; return what is left."""
    allowed = max(min(amount, headroom), 0)
    if allowed < amount:
        pieces.append(NotPayable(replace(claim, count=0, amount=amount - allowed), reason))
    return allowed
