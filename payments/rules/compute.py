"""Compute what each payer owes from verified results: the engine's entry point."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from outcomes.mechanisms import (
    AbsoluteDifferenceMechanism,
    BandedRateMechanism,
    ComparisonMechanism,
    Mechanism,
    RateCardMechanism,
    SavingsShareMechanism,
    TargetMechanism,
    TrackedMechanism,
    UndisclosedMechanism,
)
from outcomes.rule_json import RuleError
from payments.rules.absolute import (
    BandedRateResult,
    DifferenceResult,
    banded_rate_claims,
    difference_claims,
)
from payments.rules.canonical import canonical, plain
from payments.rules.comparison import (
    ComparisonResult,
    TargetResult,
    comparison_claims,
    target_claims,
)
from payments.rules.payers import apply_payer_caps, split_line
from payments.rules.programme import Claim, NotPayable, NotPayableReason, ProgrammeRules
from payments.rules.rate_card import (
    AggregateResult,
    ParticipantOutcome,
    apply_caps,
    rate_card_claims,
)
from payments.rules.savings_share import RepaidOn, SavingsResult, savings_share_claims
from payments.rules.unpriced import UnpricedResult, unpriced_not_payable
from payments.rules.variations import Variations, apply_variations


@dataclass(frozen=True, slots=True)
class PayerAmount:
    """One co-payer's part of a payment line."""

    payer: str
    amount: int


@dataclass(frozen=True, slots=True)
class PaymentLine:
    """What is payable for one metric x cohort x period at one price, and who pays it."""

    metric: str
    cohort: str
    period: str
    result_ids: tuple[str, ...]
    count: int
    amount: int
    unit_price: int | None
    improvement: Decimal | None
    share_percent: Decimal | None
    payers: tuple[PayerAmount, ...]


@dataclass(frozen=True, slots=True)
class NotPayableLine:
    """What is not payable for one metric x cohort x period, and the rule that stopped it.

    ``amount`` is what the results would have paid had that rule not applied:
    the capped-off part for a cap, the full price after termination, and 0
    for a threshold or target that was not reached.
    """

    metric: str
    cohort: str
    period: str
    reason: NotPayableReason
    result_ids: tuple[str, ...]
    count: int
    amount: int
    improvement: Decimal | None
    # The payer whose cap stopped it (reason payer_cap); None for every other rule.
    payer: str | None = None


@dataclass(frozen=True, slots=True)
class CapHeadroom:
    """How much of a cap is used and left; ``unit`` is "amount" (cents) or "count"."""

    cap: str
    metric: str | None
    unit: str
    limit: int
    used: int
    remaining: int
    # A payer's cap: whose (None for every other cap).
    payer: str | None = None


@dataclass(frozen=True, slots=True)
class OutcomePaymentPlan:
    """Every payable and not-payable line of a programme, with caps and totals."""

    currency: str
    lines: tuple[PaymentLine, ...]
    not_payable: tuple[NotPayableLine, ...]
    headroom: tuple[CapHeadroom, ...]
    total: int
    payer_totals: tuple[PayerAmount, ...]
    not_payable_total: int
    metric_totals: dict[str, int] = field(default_factory=dict)

    def to_json_dict(self) -> dict[str, Any]:
        """Return a canonical JSON-ready dict: ints for money, strings for Decimals, ISO dates."""
        return canonical(
            {
                "currency": self.currency,
                "lines": [
                    {**plain(line), "payers": [plain(p) for p in line.payers]}
                    for line in self.lines
                ],
                "not_payable": [plain(line) for line in self.not_payable],
                "headroom": [plain(item) for item in self.headroom],
                "total": self.total,
                "payer_totals": [plain(item) for item in self.payer_totals],
                "not_payable_total": self.not_payable_total,
                "metric_totals": self.metric_totals,
            }
        )


def compute_outcome_payments(
    *,
    rules: ProgrammeRules,
    participant_outcomes: Iterable[ParticipantOutcome] = (),
    aggregate_results: Iterable[AggregateResult] = (),
    comparison_results: Iterable[ComparisonResult] = (),
    target_results: Iterable[TargetResult] = (),
    savings_results: Iterable[SavingsResult] = (),
    unpriced_results: Iterable[UnpricedResult] = (),
    difference_results: Iterable[DifferenceResult] = (),
    banded_rate_results: Iterable[BandedRateResult] = (),
    repayment_target: int | RepaidOn | None = None,
    terminated_on: date | None = None,
    variations: Variations | None = None,
) -> OutcomePaymentPlan:
    """Compute the outcome payment plan from VERIFIED results only.

    Steps, in the order the deals apply them: drop results dated after an
    early termination; price each mechanism; apply the per-participant,
    per-metric and contract caps in one pass in date order; group into lines;
    split each line between co-payers with ``sib.money.allocate``, by the shares
    that apply to its cohort and metric (``ProgrammeRules.shares_for``).
    ``repayment_target`` is the investors' principal plus agreed return that
    savings-share results pay at the first share, or ``RepaidOn`` (the date
    the principal is repaid) under ``savings_switch = "repaid"``.
    """
    participant_outcomes = list(participant_outcomes)
    aggregate_results = list(aggregate_results)
    comparison_results = list(comparison_results)
    target_results = list(target_results)
    savings_results = list(savings_results)
    unpriced_results = list(unpriced_results)
    difference_results = list(difference_results)
    banded_rate_results = list(banded_rate_results)
    _check_results(
        rules,
        {
            "participant_outcomes": (participant_outcomes, RateCardMechanism),
            "aggregate_results": (aggregate_results, RateCardMechanism),
            "comparison_results": (comparison_results, ComparisonMechanism),
            "target_results": (target_results, TargetMechanism),
            "savings_results": (savings_results, SavingsShareMechanism),
            "unpriced_results": (unpriced_results, (TrackedMechanism, UndisclosedMechanism)),
            "difference_results": (difference_results, AbsoluteDifferenceMechanism),
            "banded_rate_results": (banded_rate_results, BandedRateMechanism),
        },
    )

    def in_time(on: date) -> bool:
        # A result dated on the termination day still pays; the day after not.
        return terminated_on is None or on <= terminated_on

    refused: list[NotPayable] = []

    cards = rate_card_claims(rules, participant_outcomes, aggregate_results)
    late = [claim for claim in cards if not in_time(claim.on)]
    refused += [NotPayable(claim, NotPayableReason.AFTER_TERMINATION) for claim in late]
    claims = [claim for claim in cards if in_time(claim.on)]

    by_metric: dict[str, list[ComparisonResult]] = defaultdict(list)
    for result in comparison_results:
        if in_time(result.reported_on):
            by_metric[result.metric].append(result)
        else:
            refused.append(
                _late(result.metric, result.cohort, result.period, result.id, result.reported_on)
            )
    for metric in sorted(by_metric):
        priced, stopped = comparison_claims(
            rules, metric, by_metric[metric], terminated=terminated_on is not None
        )
        claims += priced
        refused += stopped

    priced, stopped = target_claims(rules, [r for r in target_results if in_time(r.achieved_on)])
    claims += priced
    refused += stopped
    refused += [
        _late(r.metric, r.cohort, r.period, r.id, r.achieved_on)
        for r in target_results
        if not in_time(r.achieved_on)
    ]

    claims += savings_share_claims(
        rules, [r for r in savings_results if in_time(r.achieved_on)], repayment_target
    )
    refused += [
        _late(r.metric, r.cohort, r.period, r.id, r.achieved_on)
        for r in savings_results
        if not in_time(r.achieved_on)
    ]

    absolute: list[DifferenceResult | BandedRateResult] = [
        *difference_results,
        *banded_rate_results,
    ]
    for priced, stopped in (
        difference_claims(rules, [r for r in difference_results if in_time(r.reported_on)]),
        banded_rate_claims(rules, [r for r in banded_rate_results if in_time(r.reported_on)]),
    ):
        claims += priced
        refused += stopped
    refused += [
        _late(r.metric, r.cohort, r.period, r.id, r.reported_on)
        for r in absolute
        if not in_time(r.reported_on)
    ]

    # Priced at nothing, so no cap, termination or threshold applies to them.
    refused += unpriced_not_payable(rules, unpriced_results)

    if variations:
        # After pricing, before the caps: what a variation stops uses no cap's headroom.
        claims, stopped = apply_variations(claims, rules, variations)
        refused += stopped
        # A period's grant is owed as agreed, not after a termination that precedes it.
        for grant in variations.grant_claims():
            if in_time(grant.on):
                claims.append(grant)
            else:
                refused.append(NotPayable(grant, NotPayableReason.AFTER_TERMINATION))

    claims, stopped = apply_caps(claims, rules)
    refused += stopped

    return _plan(rules, claims, refused)


_COUNTS = (
    *("count", "cohort_size", "leavers", "achieved", "treated_size", "comparison_size"),
    *("treated_count", "comparison_count", "measured"),
)
_DECIMALS = ("treated_value", "comparison_value")


def _check_results(
    rules: ProgrammeRules,
    inputs: dict[str, tuple[Sequence[Any], type[Mechanism] | tuple[type[Mechanism], ...]]],
) -> None:
    """Refuse results the rules cannot price, naming the input and position."""
    known = {metric.code: metric for metric in rules.metrics}
    seen: set[str] = set()
    for name, (results, kind) in inputs.items():
        for i, result in enumerate(results):
            here = f"{name}[{i}]"
            # A result id passed twice would be paid twice.
            if result.id in seen:
                raise RuleError(f"{here}.id", f"repeats result id {result.id!r}")
            seen.add(result.id)
            metric = known.get(result.metric)
            if metric is None:
                raise RuleError(f"{here}.metric", f"unknown metric {result.metric!r}")
            if not isinstance(metric.mechanism, kind):
                kinds = " or ".join(k.kind for k in (kind if isinstance(kind, tuple) else (kind,)))
                raise RuleError(
                    f"{here}.metric",
                    f"metric {result.metric!r} pays by {metric.mechanism.kind}, not {kinds}",
                )
            for field_name in (*_COUNTS, "cost_avoided"):
                value = getattr(result, field_name, 0)
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    raise RuleError(f"{here}.{field_name}", "must be a non-negative int")
            for field_name in _DECIMALS:
                if not isinstance(getattr(result, field_name, Decimal(0)), Decimal):
                    raise RuleError(f"{here}.{field_name}", "must be a Decimal, never a float")
            if getattr(result, "leavers", 0) > getattr(result, "cohort_size", 0):
                raise RuleError(f"{here}.leavers", "must not exceed cohort_size")


def _late(metric: str, cohort: str, period: str, result_id: str, on: date) -> NotPayable:
    claim = Claim(
        metric=metric,
        cohort=cohort,
        period=period,
        on=on,
        result_ids=(result_id,),
        count=0,
        amount=0,
    )
    return NotPayable(claim, NotPayableReason.AFTER_TERMINATION)


def _plan(
    rules: ProgrammeRules, claims: Sequence[Claim], refused: Sequence[NotPayable]
) -> OutcomePaymentPlan:
    groups = list(_grouped(claims, _line_key, lambda claim: claim.order).items())
    # One allocation per line, by the shares of its cohort and metric (a payer split,
    # else the programme-wide shares): splitting each outcome and summing would round
    # once per outcome and drift from the line total's own split.
    cells = [rules.cell_shares(key[1], key[0]) for key, _group in groups]
    parts = [
        split_line(sum(claim.amount for claim in group), *cell)
        for (_key, group), cell in zip(groups, cells, strict=True)
    ]
    # Payer caps are reached in the deal's date order (a line's first outcome), not in
    # the order lines are listed (by place); they apply after the contract's caps, to
    # each payer's part.
    by_date = sorted(range(len(groups)), key=lambda i: groups[i][1][0].order)
    kept, cut, used = apply_payer_caps(
        [parts[i] for i in by_date],
        [payer.cap for payer in rules.payers],
        [cells[i][1] for i in by_date],
    )
    kept_of = dict(zip(by_date, kept, strict=True))
    cut_of = dict(zip(by_date, cut, strict=True))
    lines = []
    capped = []
    for i, (key, group) in enumerate(groups):
        metric, cohort, period, unit_price, improvement, share = key
        count = sum(claim.count for claim in group)
        # A line its payers' caps take to nothing is not paid: its count goes with the
        # capped-off part, as for the contract's caps.
        paid = sum(kept_of[i]) > 0 or not any(cut_of[i])
        for j, amount in enumerate(cut_of[i]):
            if amount:
                capped.append(
                    NotPayableLine(
                        metric=metric,
                        cohort=cohort,
                        period=period,
                        reason=NotPayableReason.PAYER_CAP,
                        result_ids=_ids(group),
                        count=0 if paid else count,
                        amount=amount,
                        improvement=improvement,
                        payer=rules.payers[j].payer,
                    )
                )
                count = count if paid else 0
        if not paid:
            continue
        lines.append(
            PaymentLine(
                metric=metric,
                cohort=cohort,
                period=period,
                result_ids=_ids(group),
                count=count,
                amount=sum(kept_of[i]),
                unit_price=unit_price,
                improvement=improvement,
                share_percent=share,
                payers=tuple(
                    PayerAmount(payer.payer, part)
                    for payer, part in zip(rules.payers, kept_of[i], strict=True)
                ),
            )
        )
    not_payable = []
    for key, items in _grouped(
        refused,
        lambda item: (*_place(item.claim), item.reason, item.claim.improvement),
        lambda item: (item.claim.order, item.reason.value),
    ).items():
        metric, cohort, period, reason, improvement = key
        not_payable.append(
            NotPayableLine(
                metric=metric,
                cohort=cohort,
                period=period,
                reason=reason,
                result_ids=_ids([item.claim for item in items]),
                count=sum(item.claim.count for item in items),
                amount=sum(item.claim.amount for item in items),
                improvement=improvement,
            )
        )
    # Listed by place like the rest (a stable sort keeps each place's own order).
    not_payable = sorted(
        [*not_payable, *capped], key=lambda line: (line.metric, line.cohort, line.period)
    )
    payer_totals = tuple(
        PayerAmount(payer.payer, sum(line.payers[i].amount for line in lines))
        for i, payer in enumerate(rules.payers)
    )
    metric_totals = {
        metric.code: sum(line.amount for line in lines if line.metric == metric.code)
        for metric in rules.metrics
    }
    return OutcomePaymentPlan(
        currency=rules.currency,
        lines=tuple(lines),
        not_payable=tuple(not_payable),
        headroom=_headroom(rules, claims, used),
        total=sum(line.amount for line in lines),
        payer_totals=payer_totals,
        not_payable_total=sum(line.amount for line in not_payable),
        metric_totals=metric_totals,
    )


def _place(claim: Claim) -> tuple[str, str, str]:
    return (claim.metric, claim.cohort, claim.period)


def _line_key(claim: Claim) -> tuple[Any, ...]:
    return (*_place(claim), claim.unit_price, claim.improvement, claim.share_percent)


def _grouped[T](
    items: Iterable[T], key: Callable[[T], tuple[Any, ...]], order: Callable[[T], Any]
) -> dict[tuple[Any, ...], list[T]]:
    """Group items by ``key``; groups sorted by place, then by their first item's date order."""
    groups: dict[tuple[Any, ...], list[T]] = defaultdict(list)
    for item in sorted(items, key=order):
        groups[key(item)].append(item)
    # A stable sort on metric x cohort x period keeps, within one place, the
    # date order: the first-share part of a savings result before the second.
    return dict(sorted(groups.items(), key=lambda group: group[0][:3]))


def _ids(claims: Iterable[Claim]) -> tuple[str, ...]:
    return tuple(sorted({result_id for claim in claims for result_id in claim.result_ids}))


def _headroom(
    rules: ProgrammeRules, claims: Sequence[Claim], payer_used: Sequence[int]
) -> tuple[CapHeadroom, ...]:
    items = []
    for metric in rules.metrics:
        mine = [claim for claim in claims if claim.metric == metric.code]
        if metric.max_count is not None:
            used = sum(claim.count for claim in mine)
            items.append(
                CapHeadroom(
                    "metric_count_cap",
                    metric.code,
                    "count",
                    metric.max_count,
                    used,
                    metric.max_count - used,
                )
            )
        if metric.max_amount is not None:
            used = sum(claim.amount for claim in mine)
            items.append(
                CapHeadroom(
                    "metric_amount_cap",
                    metric.code,
                    "amount",
                    metric.max_amount,
                    used,
                    metric.max_amount - used,
                )
            )
    if rules.contract_cap is not None:
        used = sum(claim.amount for claim in claims)
        items.append(
            CapHeadroom(
                "contract_cap", None, "amount", rules.contract_cap, used, rules.contract_cap - used
            )
        )
    for payer, used in zip(rules.payers, payer_used, strict=True):
        if payer.cap is not None:
            items.append(
                CapHeadroom(
                    "payer_cap", None, "amount", payer.cap, used, payer.cap - used, payer.payer
                )
            )
    return tuple(items)
