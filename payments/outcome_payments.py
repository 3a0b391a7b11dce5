"""Outcome payments from verified results: map the outcomes models onto the rules engine.

`verified_inputs` is THE one selector that turns outcome rows into the engine's inputs:
only results whose derived state is *verified* (a verified amendment makes the result
it corrects *superseded*, so it drops out) and that no final result of their cell
replaces (outcomes.cells: a verified final replaces the cell's verified interims),
mapped by the metric's mechanism:

===============  ==================================================================
rate_card        participant-backed result: one `ParticipantOutcome` per participant
                 record (dated by the record); otherwise an `AggregateResult` of
                 `value` outcomes dated at the period's end
comparison       `value` = treated, `comparison_value`, `sample_size` = treated size,
                 `comparison_sample_size`; a *final* result is a completed cohort;
                 dated at the period's end
target           `value` = participants achieving; the cohort's `planned_size` is the
                 cohort size and `sample_size` those still in it (leavers = the rest)
savings_share    `value` = public cost avoided, minor units, dated at the period's end
absolute_        `value` = treated group's count, `comparison_value` = comparison group's
difference       (payments.rules.absolute: whole numbers, dated at the period's end)
banded_rate      `value` = participants achieving, `sample_size` = participants measured
tracked,         an `UnpricedResult` dated at the period's end: not payable, for 0
undisclosed      (payments.rules.unpriced); the value is evidence, never priced
===============  ==================================================================

Rule kept here, before the engine prices: **a participant is paid for a metric as many
times as its `payable_per_participant` allows over the whole contract** — once by default,
up to N, or each occurrence (outcomes.mechanisms.RateCardMechanism). The database allows
one record per participant × metric × *period* for a metric paid once (one per day for the
others: ParticipantRecord.occurrence), so the same person can be reported "in work at 6
months" in two periods; occurrences are counted by date achieved, then result id, then
record id, the first ones allowed are priced
(payments.rules.rate_card.payable_occurrences), and the others are listed as `repeats`
with the result of the last occurrence paid. Counting a person more often than the
contract says would pay twice for one life changed.

Money never leaves int minor units; the co-payer split is `sib.money.allocate` (in the
engine).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q

from outcomes.cells import CellResult, replaced_interims
from outcomes.chain_kinds import DECISION
from outcomes.mechanisms import (
    ComparisonMechanism,
    MetricRule,
    RateCardMechanism,
    SavingsShareMechanism,
    TargetMechanism,
    TrackedMechanism,
    UndisclosedMechanism,
)
from outcomes.models import (
    Cohort,
    Decision,
    MeasurementPeriod,
    Metric,
    ParticipantRecord,
    Result,
    ResultState,
    Stage,
)
from outcomes.rule_json import RuleError
from outcomes.selectors import results_with_state
from payments.models import PaymentTerms
from payments.models.variations import variation_terms
from payments.payer_splits import programme_payers
from payments.rules import (
    AggregateResult,
    ComparisonResult,
    OutcomePaymentPlan,
    ParticipantOutcome,
    SavingsResult,
    TargetResult,
    UnpricedResult,
    compute_outcome_payments,
)
from payments.rules.absolute import (
    ABSOLUTE_KINDS,
    BandedRateResult,
    DifferenceResult,
    absolute_result,
)
from payments.rules.programme import Indexation, ProgrammeRules
from payments.rules.rate_card import payable_occurrences
from payments.rules.variations import Variations
from payments.savings_switch import savings_pricing
from sib.models import ChainEntry, Programme, ProgrammeStatus

# The worker's schedule recompute (payments.tasks), queued when the chain moves.
RECOMPUTE_TASK = "payments.programme_recompute"


@dataclass(frozen=True)
class Repeat:
    """A participant outcome not paid: its participant was paid as often as the metric allows."""

    metric: str
    cohort: str
    period: str
    result_id: int
    paid_result_id: int  # the result of the last occurrence paid
    achieved_on: date


@dataclass(frozen=True)
class VerifiedInputs:
    participant_outcomes: tuple[ParticipantOutcome, ...] = ()
    aggregate_results: tuple[AggregateResult, ...] = ()
    comparison_results: tuple[ComparisonResult, ...] = ()
    target_results: tuple[TargetResult, ...] = ()
    savings_results: tuple[SavingsResult, ...] = ()
    unpriced_results: tuple[UnpricedResult, ...] = ()
    repeats: tuple[Repeat, ...] = ()
    difference_results: tuple[DifferenceResult, ...] = ()
    banded_rate_results: tuple[BandedRateResult, ...] = ()


def programme_terminated_on(programme: Programme) -> date | None:
    """Return the early-termination date, when the programme was terminated."""
    if programme.status == ProgrammeStatus.TERMINATED:
        return programme.termination_date
    return None


def programme_rules(*, programme: Programme) -> ProgrammeRules:
    """Return the programme's outcome-payment rules as the engine reads them."""
    terms = PaymentTerms.objects.filter(programme=programme).first()
    metrics = tuple(
        MetricRule.from_dict(
            {
                "code": metric.code,
                "mechanism": metric.mechanism,
                "max_count": metric.max_count,
                "max_amount": metric.max_amount,
            },
            f"metrics.{metric.code}",
        )
        for metric in Metric.objects.filter(programme=programme).order_by("code")
    )
    indexation = None
    if terms is not None and terms.indexation:
        indexation = Indexation.from_dict(terms.indexation, "payment_terms.indexation")
    payers, splits = programme_payers(programme=programme, terms=terms)
    return ProgrammeRules(
        currency=programme.currency,
        payers=payers,
        metrics=metrics,
        participant_cap=terms.participant_cap if terms else None,
        contract_cap=programme.contract_cap,
        indexation=indexation,
        payer_splits=splits,
    )


def _verified_as_of(programme: Programme, seq: int, exclude: set[int]) -> list[Result]:
    decisions = ChainEntry.objects.filter(programme=programme, kind=DECISION, seq__lte=seq)
    verified = list(
        Result.objects.filter(
            programme=programme,
            decision__decision=Decision.VERIFIED,
            decision__id__in=[int(i) for i in decisions.values_list("object_id", flat=True)],
        )
        .select_related("metric", "cohort", "period")
        .order_by("id")
    )
    superseded = {result.amends_id for result in verified if result.amends_id is not None}
    standing = [r for r in verified if r.pk not in superseded and r.pk not in exclude]
    # As of `seq` too: a final verified after it replaces nothing yet. Left out first, as
    # now (_verified_now): a final held in dispute leaves the interims it replaces counted.
    replaced = replaced_interims(
        CellResult(r.pk, (r.metric_id, r.cohort_id, r.period_id), r.stage, r.from_participants)
        for r in standing
    )
    return [result for result in standing if result.pk not in replaced]


def _count(value: Decimal, where: str) -> int:
    if value != value.to_integral_value():
        raise RuleError(where, f"must be a whole number, not {value}")
    return int(value)


@dataclass(frozen=True)
class _Verified:
    """A verified result as the engine's inputs need it."""

    pk: int
    metric: Metric
    cohort: Cohort
    period: MeasurementPeriod
    value: Decimal
    comparison_value: Decimal | None
    sample_size: int | None
    comparison_sample_size: int | None
    stage: str
    from_participants: bool


def _verified_now(
    programme: Programme, exclude: set[int], include: Sequence[Result] = ()
) -> list[_Verified]:
    # Plain rows joined in Python to the programme's few metrics, cohorts and periods:
    # building 1 000 model instances with their related objects cost more than the
    # engine's whole run (bench/verification_bench.py), and every verification reads this.
    metrics = {m.pk: m for m in Metric.objects.filter(programme=programme)}
    cohorts = {c.pk: c for c in Cohort.objects.filter(programme=programme)}
    periods = {p.pk: p for p in MeasurementPeriod.objects.filter(programme=programme)}
    counted = Q(state=ResultState.VERIFIED)
    for added in include:
        # As if verified: it counts, and the result it amends is superseded.
        if added.pk is not None:
            counted |= Q(pk=added.pk)
        if added.amends_id is not None:
            exclude = exclude | {added.amends_id}
    rows = list(
        results_with_state(Result.objects.filter(programme=programme))
        .filter(counted)
        .exclude(pk__in=exclude)
        .order_by("id")
        .values_list(
            "pk",
            "metric_id",
            "cohort_id",
            "period_id",
            "value",
            "comparison_value",
            "sample_size",
            "comparison_sample_size",
            "stage",
            "from_participants",
        )
    )
    unsaved = [added for added in include if added.pk is None]
    if unsaved:
        # A submission not made yet (the submit page's preview): id 0, which no row has.
        added = unsaved[0]
        rows.append(
            (
                0,
                added.metric_id,
                added.cohort_id,
                added.period_id,
                added.value,
                added.comparison_value,
                added.sample_size,
                added.comparison_sample_size,
                added.stage,
                added.from_participants,
            )
        )
    replaced = replaced_interims(
        CellResult(row[0], (row[1], row[2], row[3]), row[8], row[9]) for row in rows
    )
    return [
        _Verified(pk, metrics[m], cohorts[c], periods[p], value, cv, size, cs, stage, backed)
        for pk, m, c, p, value, cv, size, cs, stage, backed in rows
        if pk not in replaced
    ]


def verified_inputs(
    *,
    programme: Programme,
    exclude: set[int] | None = None,
    seq: int | None = None,
    include: Result | Sequence[Result] | None = None,
) -> VerifiedInputs:
    """Return every verified result of the programme that counts, as engine inputs.

    Counted: verified, not superseded, not replaced by a final of its cell (outcomes.cells).

    `exclude`: result ids left out (the disputed ones, to price what is not in dispute).
    With `seq`, as of the chain state ending at that entry: results whose verification is
    chained at or before it, less those an amendment verified at or before it supersedes.
    `include` (now only): submitted results counted as if verified, to preview their
    verification (an import's, all at once); unsaved, a submission not made yet (one,
    priced under id 0).
    """
    results: list[Any]
    if seq is None:
        added = [include] if isinstance(include, Result) else list(include or ())
        results = _verified_now(programme, exclude or set(), added)
    else:
        results = _verified_as_of(programme, seq, exclude or set())
    participant_rows: list[tuple[date, int, int, Any, Any]] = []
    aggregates: list[AggregateResult] = []
    comparisons: list[ComparisonResult] = []
    targets: list[TargetResult] = []
    savings: list[SavingsResult] = []
    unpriced: list[UnpricedResult] = []
    absolute: list[DifferenceResult | BandedRateResult] = []
    backed = [r.pk for r in results if r.from_participants]
    records: dict[int, list[ParticipantRecord]] = {}
    for record in ParticipantRecord.objects.filter(result_id__in=backed).order_by("id"):
        records.setdefault(record.result_id, []).append(record)
    for result in results:
        kind = result.metric.mechanism_kind
        where = f"results[{result.pk}]"
        place = (result.metric.code, result.cohort.code, result.period.code)
        on = result.period.end_date
        if kind == RateCardMechanism.kind and result.from_participants:
            for record in records.get(result.pk, []):
                participant_rows.append((record.achieved_on, result.pk, record.pk, record, result))
        elif kind == RateCardMechanism.kind:
            aggregates.append(
                AggregateResult(str(result.pk), *place, _count(result.value, where), on)
            )
        elif kind == ComparisonMechanism.kind:
            if result.comparison_value is None:
                raise RuleError(f"{where}.comparison_value", "is required for a comparison")
            comparisons.append(
                ComparisonResult(
                    id=str(result.pk),
                    metric=place[0],
                    cohort=place[1],
                    period=place[2],
                    reported_on=on,
                    treated_value=result.value,
                    comparison_value=result.comparison_value,
                    treated_size=result.sample_size or 0,
                    comparison_size=result.comparison_sample_size or 0,
                    completed=result.stage == Stage.FINAL,
                )
            )
        elif kind == TargetMechanism.kind:
            size = result.cohort.planned_size or result.sample_size
            if size is None:
                raise RuleError(f"{where}.sample_size", "a target needs the cohort's size")
            remaining = size if result.sample_size is None else result.sample_size
            targets.append(
                TargetResult(
                    str(result.pk),
                    *place,
                    achieved_on=on,
                    cohort_size=size,
                    leavers=max(size - remaining, 0),
                    achieved=_count(result.value, where),
                )
            )
        elif kind == SavingsShareMechanism.kind:
            savings.append(SavingsResult(str(result.pk), *place, on, _count(result.value, where)))
        elif kind in ABSOLUTE_KINDS:
            values = (result.value, result.comparison_value, result.sample_size)
            absolute.append(absolute_result(kind, str(result.pk), place, on, where, *values))
        elif kind in (TrackedMechanism.kind, UndisclosedMechanism.kind):
            unpriced.append(UnpricedResult(str(result.pk), *place, on))
    outcomes, repeats = _payable_per_participant(participant_rows)
    return VerifiedInputs(
        participant_outcomes=tuple(outcomes),
        aggregate_results=tuple(aggregates),
        comparison_results=tuple(comparisons),
        target_results=tuple(targets),
        savings_results=tuple(savings),
        unpriced_results=tuple(unpriced),
        repeats=tuple(repeats),
        difference_results=tuple(r for r in absolute if isinstance(r, DifferenceResult)),
        banded_rate_results=tuple(r for r in absolute if isinstance(r, BandedRateResult)),
    )


def _payable_per_participant(
    rows: list[tuple[date, int, int, Any, Any]],
) -> tuple[list[ParticipantOutcome], list[Repeat]]:
    times: dict[str, int | None] = {}
    outcomes: list[ParticipantOutcome] = []
    for on, result_id, record_id, record, result in sorted(rows, key=lambda row: row[:3]):
        metric = result.metric
        if metric.code not in times:
            mechanism = RateCardMechanism.from_dict(
                metric.mechanism, f"metrics.{metric.code}.mechanism"
            )
            times[metric.code] = mechanism.payable_per_participant
        # "<result id>/<record id>": unique per outcome, and the result id is recovered
        # from it for the payment line.
        outcomes.append(
            ParticipantOutcome(
                f"{result_id}/{record_id}",
                record.pseudonym,
                metric.code,
                result.cohort.code,
                result.period.code,
                on,
            )
        )
    kept, repeated = payable_occurrences(outcomes, times)
    repeats = [
        Repeat(
            outcome.metric,
            outcome.cohort,
            outcome.period,
            result_ids((outcome.id,))[0],
            result_ids((paid.id,))[0],
            outcome.achieved_on,
        )
        for outcome, paid in repeated
    ]
    return kept, repeats


def result_ids(engine_ids: tuple[str, ...]) -> list[int]:
    """Return the result ids behind engine ids ("12" or "12/345"), sorted, once each."""
    return sorted({int(engine_id.split("/")[0]) for engine_id in engine_ids})


def outcome_payments_compute(
    *,
    programme: Programme,
    inputs: VerifiedInputs | None = None,
    as_if_terminated_on: date | None = None,
    as_if_varied: Sequence[dict[str, Any]] = (),
) -> OutcomePaymentPlan:
    """Compute what each payer owes from the programme's verified results.

    `as_if_terminated_on`: price as if the contract were terminated that day (the
    termination page's preview); by default, its actual termination if any.
    `as_if_varied`: variations (as the terms carry them) applied after those recorded,
    as if recorded too (the variation page's preview).
    """
    rules = programme_rules(programme=programme)
    inputs = inputs if inputs is not None else verified_inputs(programme=programme)
    needs_target = any(
        isinstance(metric.mechanism, SavingsShareMechanism) for metric in rules.metrics
    )
    return compute_outcome_payments(
        rules=rules,
        participant_outcomes=inputs.participant_outcomes,
        aggregate_results=inputs.aggregate_results,
        comparison_results=inputs.comparison_results,
        target_results=inputs.target_results,
        savings_results=inputs.savings_results,
        unpriced_results=inputs.unpriced_results,
        difference_results=inputs.difference_results,
        banded_rate_results=inputs.banded_rate_results,
        repayment_target=savings_pricing(programme=programme) if needs_target else None,
        terminated_on=as_if_terminated_on or programme_terminated_on(programme),
        variations=Variations.from_terms(
            [*variation_terms(programme_id=programme.pk), *as_if_varied]
        ),
    )


def outcome_payment_receive(
    *,
    programme: Programme,
    payer: Any,
    amount: int,
    received_on: date,
    actor: Any,
    idempotency_key: str = "",
    description: str = "",
    advance: bool = False,
) -> Any:
    """Record an outcome payment received (Dr cash, Cr the payer's receivable).

    Posting is the ledger's (`payments.services.payment_received_record`); the posting
    moves the chain, which queues the schedule recompute (payments.schedules).
    """
    # Imported here: payments.services imports the accrual, which imports this module.
    from payments import services

    with transaction.atomic():
        return services.payment_received_record(
            programme=programme,
            payer=payer,
            amount=amount,
            received_on=received_on,
            actor=actor,
            idempotency_key=idempotency_key,
            description=description,
            advance=advance,
        )
