"""Projections: the same engines run on forecast results, never posted to the ledger.

A scenario is a percentage of targets (0, 50, 75, 100, 125 by default; any percentage on
request). Forecast results are built from each metric's `target_value`, read by mechanism:

=============  ===========================================================================
rate_card      outcomes per cohort over the contract; spread evenly over the metric's
               periods (sib.money.allocate), each dated at its period's end. Forecast
               participants are numbered per cohort and the *same* first participants
               achieve every metric: the conservative reading, under which the
               per-participant cap bites as hard as it can.
comparison     the expected improvement (a fraction, "0.10"); each cohort completes at
               the metric's last period with its planned size on both sides
target         the outcome rate (a fraction); default: the mechanism's target rate
savings_share  cost avoided per cohort (minor units), spread over the periods
absolute_      the difference in units per cohort over the contract (events avoided),
difference     spread evenly over the periods; a period's share below the threshold pays
               nothing, as a verified result would
banded_rate    the rate achieved (a fraction); each cohort measured at the metric's last
               period with its planned size
=============  ===========================================================================

Counts and amounts are the target x percentage, rounded half up. A metric without a
target forecasts nothing. Payments are assumed received on the period's end date; the
payments already received count too, and only forecast payments dated after the last of
them are added (payments.schedule_builder), so a projection at 0 % is what was received.
Capital: the drawdowns recorded so far; a commitment with none is taken as drawn in full
on its commitment date. Return stops, and guarantees are called, at the programme's end
(or termination) date. The document itself is built by payments.schedule_builder, like
every other scenario's.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from outcomes.mechanisms import (
    AbsoluteDifferenceMechanism,
    BandedRateMechanism,
    ComparisonMechanism,
    RateCardMechanism,
    SavingsShareMechanism,
    TargetMechanism,
)
from outcomes.models import MeasurementPeriod, Metric
from payments.outcome_payments import VerifiedInputs
from payments.rules import (
    AggregateResult,
    BandedRateResult,
    ComparisonResult,
    DifferenceResult,
    ParticipantOutcome,
    SavingsResult,
    TargetResult,
)
from sib.models import Programme
from sib.money import allocate

HUNDRED = Decimal(100)
DEFAULT_COHORT_SIZE = 100


def _scaled(value: Decimal, percent: Decimal) -> int:
    return int((value * percent / HUNDRED).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def forecast_inputs(*, programme: Programme, percent: Decimal) -> VerifiedInputs:
    """Return forecast results at `percent` % of every metric's target."""
    participants: list[ParticipantOutcome] = []
    aggregates: list[AggregateResult] = []
    comparisons: list[ComparisonResult] = []
    targets: list[TargetResult] = []
    savings: list[SavingsResult] = []
    absolute: list[DifferenceResult | BandedRateResult] = []
    metrics = Metric.objects.filter(programme=programme).prefetch_related("cohorts", "periods")
    for metric in metrics.order_by("code"):
        periods = sorted(metric.periods.all(), key=lambda p: (p.end_date, p.code))
        kind = metric.mechanism_kind
        if not periods:
            continue
        for cohort in sorted(metric.cohorts.all(), key=lambda c: c.code):
            size = cohort.planned_size or DEFAULT_COHORT_SIZE
            target = metric.target_value
            base = f"forecast:{metric.code}:{cohort.code}"
            if kind == RateCardMechanism.kind and target is not None:
                count = _scaled(Decimal(target), percent)
                person = 0
                for period, n in zip(periods, allocate(count, [1] * len(periods)), strict=True):
                    for _ in range(n):
                        person += 1
                        participants.append(
                            ParticipantOutcome(
                                f"{base}:{person}",
                                f"forecast:{cohort.code}:{person}",
                                metric.code,
                                cohort.code,
                                period.code,
                                period.end_date,
                            )
                        )
            elif kind == ComparisonMechanism.kind and target is not None:
                gain = Decimal(target) * percent / HUNDRED
                better_low = metric.mechanism.get("direction") == "lower_is_better"
                treated = HUNDRED * (1 - gain if better_low else 1 + gain)
                last = periods[-1]
                comparisons.append(
                    ComparisonResult(
                        id=base,
                        metric=metric.code,
                        cohort=cohort.code,
                        period=last.code,
                        reported_on=last.end_date,
                        treated_value=max(treated, Decimal(0)),
                        comparison_value=HUNDRED,
                        treated_size=size,
                        comparison_size=size,
                        completed=True,
                    )
                )
            elif kind == TargetMechanism.kind:
                rate = Decimal(target if target is not None else metric.mechanism["target_rate"])
                last = periods[-1]
                targets.append(
                    TargetResult(
                        base,
                        metric.code,
                        cohort.code,
                        last.code,
                        achieved_on=last.end_date,
                        cohort_size=size,
                        leavers=0,
                        achieved=min(_scaled(rate * size, percent), size),
                    )
                )
            elif kind in (AbsoluteDifferenceMechanism.kind, BandedRateMechanism.kind):
                if target is not None:
                    absolute += _absolute_forecast(
                        metric, cohort.code, size, periods, target, percent
                    )
            elif kind == SavingsShareMechanism.kind and target is not None:
                total = _scaled(Decimal(target), percent)
                for period, amount in zip(
                    periods, allocate(total, [1] * len(periods)), strict=True
                ):
                    savings.append(
                        SavingsResult(
                            f"{base}:{period.code}",
                            metric.code,
                            cohort.code,
                            period.code,
                            period.end_date,
                            amount,
                        )
                    )
    return VerifiedInputs(
        participant_outcomes=tuple(participants),
        aggregate_results=tuple(aggregates),
        comparison_results=tuple(comparisons),
        target_results=tuple(targets),
        savings_results=tuple(savings),
        difference_results=tuple(r for r in absolute if isinstance(r, DifferenceResult)),
        banded_rate_results=tuple(r for r in absolute if isinstance(r, BandedRateResult)),
    )


def _absolute_forecast(
    metric: Metric,
    cohort: str,
    size: int,
    periods: list[MeasurementPeriod],
    target: Decimal,
    percent: Decimal,
) -> list[DifferenceResult | BandedRateResult]:
    """Forecast an absolute_difference or banded_rate metric's results (table above)."""
    base = f"forecast:{metric.code}:{cohort}"
    if metric.mechanism_kind == BandedRateMechanism.kind:
        last = periods[-1]
        achieved = min(_scaled(Decimal(target) * size, percent), size)
        return [
            BandedRateResult(base, metric.code, cohort, last.code, last.end_date, achieved, size)
        ]
    lower = metric.mechanism.get("direction") == "lower_is_better"
    total = _scaled(Decimal(target), percent)
    forecast: list[DifferenceResult | BandedRateResult] = []
    for period, units in zip(periods, allocate(total, [1] * len(periods)), strict=True):
        # Only the difference is priced: the better group is put at 0 events.
        treated, comparison = (0, units) if lower else (units, 0)
        forecast.append(
            DifferenceResult(
                f"{base}:{period.code}",
                metric.code,
                cohort,
                period.code,
                period.end_date,
                treated,
                comparison,
            )
        )
    return forecast
