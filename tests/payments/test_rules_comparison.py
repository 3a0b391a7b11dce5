"""Comparison-group and target payments, worked by hand from the deal rules.

Amounts are cents. Improvements are quantised to 0.0001 (half even) before
any threshold; a per-point price pays for every percentage point of the
improvement, per treated participant.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from outcomes.mechanisms import Direction
from payments.rules import (
    ComparisonResult,
    NotPayableReason,
    OutcomePaymentPlan,
    ProgrammeRules,
    RuleError,
    TargetResult,
    attrition_adjusted_target,
    compute_outcome_payments,
    improvement,
)

EUR = 100
D = Decimal


def rules_with(mechanism: dict[str, Any], **programme: Any) -> ProgrammeRules:
    return ProgrammeRules.from_dict(
        {
            "currency": "EUR",
            "payers": [
                {"payer": "state", "share_percent": "70"},
                {"payer": "departement", "share_percent": "30"},
            ],
            "metrics": [{"code": "reoffending", "mechanism": mechanism}],
            **programme,
        }
    )


def threshold_deal(**changes: Any) -> dict[str, Any]:
    mechanism: dict[str, Any] = {
        "kind": "comparison",
        "direction": "lower_is_better",
        "cohorts": ["c1", "c2", "c3"],
        "cohort_threshold": "0.10",
        "pooled_threshold": "0.075",
        "price_per_point": 50 * EUR,
    }
    mechanism.update(changes)
    return mechanism


def result(
    cohort: str,
    treated: str,
    comparison: str,
    treated_size: int = 100,
    comparison_size: int = 100,
    *,
    completed: bool = True,
    on: date = date(2028, 12, 31),
    metric: str = "reoffending",
) -> ComparisonResult:
    return ComparisonResult(
        id=f"{metric}-{cohort}",
        metric=metric,
        cohort=cohort,
        period="final",
        reported_on=on,
        treated_value=D(treated),
        comparison_value=D(comparison),
        treated_size=treated_size,
        comparison_size=comparison_size,
        completed=completed,
    )


def paid_by_cohort(plan: OutcomePaymentPlan) -> dict[str, int]:
    return {line.cohort: line.amount for line in plan.lines}


def test_three_cohorts_two_paid_early_and_the_one_below_ten_percent_paid_once_on_the_pool() -> None:
    results = [
        # c1: (0.50 - 0.40) / 0.50 = 0.20 >= 0.10: early, 20 pts x 50 € x 100 = 100 000 €.
        result("c1", "0.40", "0.50", 100, 100, on=date(2027, 12, 31)),
        # c2: (0.50 - 0.48) / 0.50 = 0.04 < 0.10: waits for the pool.
        result("c2", "0.48", "0.50", 80, 120, on=date(2028, 12, 31)),
        # c3: (0.50 - 0.44) / 0.50 = 0.12 >= 0.10: early, 12 pts x 50 € x 120 = 72 000 €.
        result("c3", "0.44", "0.50", 120, 80, on=date(2029, 12, 31)),
    ]
    plan = compute_outcome_payments(rules=rules_with(threshold_deal()), comparison_results=results)
    # Pool, weighted by sample sizes:
    #   treated    (0.40 x 100 + 0.48 x 80 + 0.44 x 120) / 300 = 131.2 / 300 = 0.437333...
    #   comparison (0.50 x 100 + 0.50 x 120 + 0.50 x 80) / 300 = 0.50
    #   improvement (0.50 - 0.437333) / 0.50 = 0.125333 -> 0.1253 >= 0.075
    # c2 only (c1, c3 were paid early): 12.53 pts x 50 € x 80 = 50 120 €.
    assert paid_by_cohort(plan) == {"c1": 100_000 * EUR, "c2": 50_120 * EUR, "c3": 72_000 * EUR}
    c2 = next(line for line in plan.lines if line.cohort == "c2")
    assert c2.improvement == D("0.1253")
    assert c2.unit_price == 50 * EUR
    assert c2.result_ids == ("reoffending-c1", "reoffending-c2", "reoffending-c3")
    assert plan.total == 222_120 * EUR
    assert plan.not_payable == ()


def test_cohort_below_its_threshold_waits_until_every_cohort_is_completed() -> None:
    results = [
        result("c1", "0.40", "0.50"),
        result("c2", "0.48", "0.50"),
        result("c3", "0.44", "0.50", completed=False),
    ]
    plan = compute_outcome_payments(rules=rules_with(threshold_deal()), comparison_results=results)
    # Only c1 (0.20) is paid; c2 awaits the pool; c3 is still an interim result.
    assert paid_by_cohort(plan) == {"c1": 100_000 * EUR}
    reasons = {line.cohort: line.reason for line in plan.not_payable}
    assert reasons == {
        "c2": NotPayableReason.AWAITING_POOLED_RESULT,
        "c3": NotPayableReason.COHORT_NOT_COMPLETED,
    }


def test_pool_below_seven_and_a_half_percent_pays_nothing_for_the_waiting_cohorts() -> None:
    results = [
        # 0.04, 0.06 and 0.08 — none at 0.10; pool (equal sizes) = 0.06 < 0.075.
        result("c1", "0.48", "0.50"),
        result("c2", "0.47", "0.50"),
        result("c3", "0.46", "0.50"),
    ]
    plan = compute_outcome_payments(rules=rules_with(threshold_deal()), comparison_results=results)
    assert plan.total == 0
    assert {line.reason for line in plan.not_payable} == {NotPayableReason.BELOW_THRESHOLD}
    assert {line.improvement for line in plan.not_payable} == {D("0.0600")}


def test_result_exactly_at_the_threshold_pays_and_one_just_below_pays_nothing() -> None:
    deal = threshold_deal(pooled_threshold=None)
    results = [
        # (0.50 - 0.45) / 0.50 = 0.1000: at the threshold, 10 pts x 50 € x 100 = 50 000 €.
        result("c1", "0.45", "0.50"),
        # (0.50 - 0.45005) / 0.50 = 0.0999: below, nothing.
        result("c2", "0.45005", "0.50"),
        # (0.50 - 0.450025) / 0.50 = 0.09995, half even to 0.1000 (9 is odd): pays.
        result("c3", "0.450025", "0.50"),
    ]
    plan = compute_outcome_payments(rules=rules_with(deal), comparison_results=results)
    assert paid_by_cohort(plan) == {"c1": 50_000 * EUR, "c3": 50_000 * EUR}
    [below] = plan.not_payable
    assert (below.cohort, below.reason, below.improvement) == (
        "c2",
        NotPayableReason.BELOW_THRESHOLD,
        D("0.0999"),
    )


def test_tiered_table_pays_the_band_the_improvement_falls_in_per_participant() -> None:
    deal = threshold_deal(
        cohort_threshold="0.05",
        pooled_threshold=None,
        price_per_point=None,
        tiers=[
            {"min_improvement": "0.05", "max_improvement": "0.10", "amount": 100 * EUR},
            {"min_improvement": "0.10", "max_improvement": "0.20", "amount": 250 * EUR},
            {"min_improvement": "0.20", "max_improvement": None, "amount": 400 * EUR},
        ],
    )
    results = [
        result("c1", "0.47", "0.50", 100),  # 0.06 -> first band: 100 € x 100 = 10 000 €
        result("c2", "0.45", "0.50", 90),  # 0.10 -> second band (lower bound in): 250 € x 90
        result("c3", "0.30", "0.50", 110),  # 0.40 -> open top band: 400 € x 110 = 44 000 €
    ]
    plan = compute_outcome_payments(rules=rules_with(deal), comparison_results=results)
    assert paid_by_cohort(plan) == {"c1": 10_000 * EUR, "c2": 22_500 * EUR, "c3": 44_000 * EUR}
    assert {line.cohort: line.unit_price for line in plan.lines}["c2"] == 250 * EUR


def test_tiered_table_per_cohort_pays_the_band_amount_once() -> None:
    deal = threshold_deal(
        pooled_threshold=None,
        price_per_point=None,
        tier_basis="per_cohort",
        tiers=[{"min_improvement": "0.10", "max_improvement": None, "amount": 150_000 * EUR}],
    )
    plan = compute_outcome_payments(
        rules=rules_with(deal), comparison_results=[result("c1", "0.40", "0.50", 100)]
    )
    assert plan.total == 150_000 * EUR


def test_higher_is_better_measures_treated_over_comparison() -> None:
    # Employment: (0.55 - 0.50) / 0.50 = 0.10.
    assert improvement(D("0.55"), D("0.50"), Direction.HIGHER_IS_BETTER) == D("0.1000")
    assert improvement(D("0.55"), D("0.50"), Direction.LOWER_IS_BETTER) == D("-0.1000")


def test_termination_pools_the_completed_cohorts_and_refuses_later_results() -> None:
    results = [
        result("c1", "0.48", "0.50", on=date(2027, 12, 31)),  # 0.04
        result("c2", "0.44", "0.50", on=date(2028, 6, 30)),  # 0.12, early
        result("c3", "0.30", "0.50", on=date(2029, 12, 31)),  # after termination
    ]
    plan = compute_outcome_payments(
        rules=rules_with(threshold_deal()),
        comparison_results=results,
        terminated_on=date(2028, 12, 31),
    )
    # Pool of c1 and c2 only: treated 0.46, comparison 0.50 -> 0.08 >= 0.075;
    # c1: 8 pts x 50 € x 100 = 40 000 €; c2 early: 12 x 50 x 100 = 60 000 €.
    assert paid_by_cohort(plan) == {"c1": 40_000 * EUR, "c2": 60_000 * EUR}
    [late] = plan.not_payable
    assert (late.cohort, late.reason) == ("c3", NotPayableReason.AFTER_TERMINATION)


def test_cohort_just_missing_early_threshold_can_be_paid_more_through_the_pool() -> None:
    # A known consequence of "early at 10 %, else the pool": c1 at 0.1000 is
    # paid on its own 10 points; lowered to 0.0999 it waits and is paid on the
    # pool's 16.66 points. Deals that want monotone payments must say so.
    others = [result("c2", "0.40", "0.50"), result("c3", "0.40", "0.50")]
    rules = rules_with(threshold_deal())
    at = compute_outcome_payments(
        rules=rules, comparison_results=[result("c1", "0.45", "0.50"), *others]
    )
    below = compute_outcome_payments(
        rules=rules, comparison_results=[result("c1", "0.45005", "0.50"), *others]
    )
    # Pool treated (0.45005 + 0.40 + 0.40) / 3 = 0.41668333; improvement 0.16663 -> 0.1666.
    assert paid_by_cohort(at)["c1"] == 50_000 * EUR  # 10 pts x 50 € x 100
    assert paid_by_cohort(below)["c1"] == 83_300 * EUR  # 16.66 pts x 50 € x 100


def test_attrition_raises_the_target_rate_on_those_who_remain() -> None:
    # 50 % of a cohort of 100 with 20 leavers: 50 / 80 = 0.625.
    assert attrition_adjusted_target(D("0.50"), 100, 20) == D("0.6250")
    # 40 % of 90 with 7 leavers: 36 / 83 = 0.43373... -> 0.4337.
    assert attrition_adjusted_target(D("0.40"), 90, 7) == D("0.4337")
    with pytest.raises(RuleError):
        attrition_adjusted_target(D("0.50"), 10, 10)


def test_target_metric_pays_a_cohort_reaching_the_attrition_adjusted_target() -> None:
    rules = ProgrammeRules.from_dict(
        {
            "currency": "EUR",
            "payers": [{"payer": "state", "share_percent": "100"}],
            "metrics": [
                {
                    "code": "housed",
                    "mechanism": {"kind": "target", "target_rate": "0.50", "amount": 20_000 * EUR},
                }
            ],
        }
    )

    def housed(cohort: str, achieved: int) -> TargetResult:
        return TargetResult(
            f"h-{cohort}", "housed", cohort, "2028", date(2028, 6, 30), 100, 20, achieved
        )

    plan = compute_outcome_payments(
        rules=rules, target_results=[housed("c1", 50), housed("c2", 49)]
    )
    # c1: 50 / 80 = 0.6250 >= 0.6250, pays 20 000 €; c2: 49 / 80 = 0.6125, nothing.
    assert paid_by_cohort(plan) == {"c1": 20_000 * EUR}
    [missed] = plan.not_payable
    assert (missed.cohort, missed.reason, missed.improvement) == (
        "c2",
        NotPayableReason.BELOW_TARGET,
        D("0.6125"),
    )


def test_two_completed_results_for_one_cohort_are_refused() -> None:
    with pytest.raises(RuleError, match="two completed results"):
        compute_outcome_payments(
            rules=rules_with(threshold_deal()),
            comparison_results=[
                result("c1", "0.40", "0.50"),
                ComparisonResult(
                    "other",
                    "reoffending",
                    "c1",
                    "final",
                    date(2029, 1, 1),
                    D("0.4"),
                    D("0.5"),
                    100,
                    100,
                    True,
                ),
            ],
        )


# --- Properties ---------------------------------------------------------------

rates = st.decimals(min_value=D("0.05"), max_value=D("0.95"), places=4)
sizes = st.integers(1, 500)
cohort_values = st.lists(st.tuples(rates, sizes, sizes), min_size=3, max_size=3)


def _results(values: list[tuple[Decimal, int, int]]) -> list[ComparisonResult]:
    return [
        result(f"c{i + 1}", str(treated), "0.50", n_treated, n_comparison)
        for i, (treated, n_treated, n_comparison) in enumerate(values)
    ]


def _lines(plan: OutcomePaymentPlan) -> dict[str, int]:
    return paid_by_cohort(plan)


tiers = [
    {"min_improvement": "0.05", "max_improvement": "0.10", "amount": 100 * EUR},
    {"min_improvement": "0.10", "max_improvement": "0.30", "amount": 250 * EUR},
    {"min_improvement": "0.30", "max_improvement": None, "amount": 250 * EUR},
]
single_path_deals = st.sampled_from(
    [
        threshold_deal(pooled_threshold=None),
        threshold_deal(cohort_threshold=None),
        threshold_deal(pooled_threshold=None, price_per_point=None, tiers=tiers),
        threshold_deal(cohort_threshold=None, price_per_point=None, tiers=tiers),
    ]
)


@settings(max_examples=300, deadline=None)
@given(
    deal=single_path_deals,
    values=cohort_values,
    which=st.integers(0, 2),
    worse=st.decimals(min_value=D("0"), max_value=D("0.5"), places=4),
)
def test_a_worse_verified_result_never_increases_any_payment(
    deal: dict[str, Any],
    values: list[tuple[Decimal, int, int]],
    which: int,
    worse: Decimal,
) -> None:
    # One threshold path at a time: with both, the early/pool switch is not
    # monotone by the deal's own rule (pinned in a test above).
    rules = rules_with(deal)
    lowered = list(values)
    treated, n_treated, n_comparison = lowered[which]
    lowered[which] = (min(treated + worse, D("0.99")), n_treated, n_comparison)
    before = _lines(compute_outcome_payments(rules=rules, comparison_results=_results(values)))
    after = _lines(compute_outcome_payments(rules=rules, comparison_results=_results(lowered)))
    for cohort, amount in after.items():
        assert amount <= before.get(cohort, 0)


@settings(max_examples=200, deadline=None)
@given(values=cohort_values, cap=st.none() | st.integers(0, 300_000 * EUR))
def test_comparison_totals_never_exceed_the_contract_cap_and_recompute_identically(
    values: list[tuple[Decimal, int, int]], cap: int | None
) -> None:
    rules = rules_with(threshold_deal(), contract_cap=cap)
    plan = compute_outcome_payments(rules=rules, comparison_results=_results(values))
    again = compute_outcome_payments(rules=rules, comparison_results=_results(values)[::-1])
    assert plan == again
    if cap is not None:
        assert plan.total <= cap
    for line in plan.lines:
        assert sum(part.amount for part in line.payers) == line.amount
