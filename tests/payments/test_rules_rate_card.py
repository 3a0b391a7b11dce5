"""Rate-card payments, worked by hand from the Jardins solidaires contract.

Amounts are cents. The demo rate card: enters accredited training 800 €,
in work at 6 months 3 000 €, in work at 12 months 2 500 €; per-participant
cap 5 500 €; contract cap 1 500 000 €; the State pays 70 %, the département
30 %.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from payments.rules import (
    AggregateResult,
    NotPayableReason,
    OutcomePaymentPlan,
    ParticipantOutcome,
    ProgrammeRules,
    RuleError,
    compute_outcome_payments,
)

EUR = 100  # cents per euro


def demo_rules(**overrides: Any) -> ProgrammeRules:
    data: dict[str, Any] = {
        "currency": "EUR",
        "payers": [
            {"payer": "state", "share_percent": "70"},
            {"payer": "departement", "share_percent": "30"},
        ],
        "participant_cap": 5_500 * EUR,
        "contract_cap": 1_500_000 * EUR,
        "metrics": [
            {"code": "training", "mechanism": {"kind": "rate_card", "price": 800 * EUR}},
            {"code": "work_6m", "mechanism": {"kind": "rate_card", "price": 3_000 * EUR}},
            {"code": "work_12m", "mechanism": {"kind": "rate_card", "price": 2_500 * EUR}},
        ],
    }
    data.update(overrides)
    return ProgrammeRules.from_dict(data)


def card(code: str, price: int, **caps: int | None) -> dict[str, Any]:
    return {"code": code, "mechanism": {"kind": "rate_card", "price": price}, **caps}


def outcome(rid: str, who: str, metric: str, on: date, cohort: str = "c1") -> ParticipantOutcome:
    return ParticipantOutcome(
        id=rid, pseudonym=who, metric=metric, cohort=cohort, period=str(on.year), achieved_on=on
    )


def refused(plan: OutcomePaymentPlan, reason: NotPayableReason) -> int:
    return sum(line.amount for line in plan.not_payable if line.reason is reason)


def test_one_participant_through_training_and_six_months_is_paid_3800_split_70_30() -> None:
    plan = compute_outcome_payments(
        rules=demo_rules(),
        participant_outcomes=[
            outcome("r1", "p1", "training", date(2026, 3, 2)),
            outcome("r2", "p1", "work_6m", date(2026, 10, 1)),
        ],
    )
    # 800 € + 3 000 € = 3 800 €; State 70 % = 2 660 €, département 30 % = 1 140 €.
    assert plan.total == 3_800 * EUR
    assert [(p.payer, p.amount) for p in plan.payer_totals] == [
        ("state", 2_660 * EUR),
        ("departement", 1_140 * EUR),
    ]
    training = next(line for line in plan.lines if line.metric == "training")
    assert training.result_ids == ("r1",)
    assert training.unit_price == 800 * EUR
    assert plan.not_payable == ()


def test_participant_hitting_the_cap_is_paid_the_remaining_headroom_and_the_rest_is_recorded() -> (
    None
):
    plan = compute_outcome_payments(
        rules=demo_rules(),
        participant_outcomes=[
            outcome("r1", "p1", "training", date(2026, 3, 2)),
            outcome("r2", "p1", "work_6m", date(2026, 10, 1)),
            outcome("r3", "p1", "work_12m", date(2027, 4, 1)),
        ],
    )
    # 800 + 3 000 = 3 800 € paid; the 12-month outcome (2 500 €) meets only
    # 5 500 - 3 800 = 1 700 € of headroom; 800 € is not payable.
    work_12m = next(line for line in plan.lines if line.metric == "work_12m")
    assert work_12m.amount == 1_700 * EUR
    assert work_12m.count == 1
    # 1 700 € x 70 % = 1 190 €; x 30 % = 510 €.
    assert [p.amount for p in work_12m.payers] == [1_190 * EUR, 510 * EUR]
    [stopped] = plan.not_payable
    assert stopped.reason is NotPayableReason.PARTICIPANT_CAP
    assert (stopped.result_ids, stopped.amount, stopped.count) == (("r3",), 800 * EUR, 0)
    assert plan.total == 5_500 * EUR


def test_participant_outcomes_on_the_same_day_are_capped_in_metric_code_order() -> None:
    rules = demo_rules(participant_cap=3_500 * EUR)
    same_day = date(2026, 10, 1)
    plan = compute_outcome_payments(
        rules=rules,
        participant_outcomes=[
            outcome("r9", "p1", "work_6m", same_day),
            outcome("r1", "p1", "training", same_day),
        ],
    )
    # "training" sorts before "work_6m": 800 € paid first, then 3 500 - 800 =
    # 2 700 € of the 3 000 €; 300 € not payable.
    amounts = {line.metric: line.amount for line in plan.lines}
    assert amounts == {"training": 800 * EUR, "work_6m": 2_700 * EUR}
    assert refused(plan, NotPayableReason.PARTICIPANT_CAP) == 300 * EUR


def test_outcome_beyond_participant_cap_is_refused_whole_with_its_count() -> None:
    plan = compute_outcome_payments(
        rules=demo_rules(participant_cap=3_000 * EUR),
        participant_outcomes=[
            outcome("r1", "p1", "work_6m", date(2026, 10, 1)),
            outcome("r2", "p1", "training", date(2026, 11, 1)),
        ],
    )
    # 3 000 € uses the whole cap; the later 800 € outcome pays nothing.
    [stopped] = plan.not_payable
    assert (stopped.metric, stopped.amount, stopped.count) == ("training", 800 * EUR, 1)


def _three_cohorts_reaching_twelve_months() -> list[ParticipantOutcome]:
    outcomes = []
    for i in range(300):
        who, cohort = f"p{i:03d}", f"c{i // 100 + 1}"
        outcomes.append(outcome(f"t-{who}", who, "training", date(2027, 1, 15), cohort))
        outcomes.append(outcome(f"w6-{who}", who, "work_6m", date(2027, 7, 15), cohort))
        twelve = date(2028, 1, 1) + timedelta(days=i)
        outcomes.append(outcome(f"w12-{who}", who, "work_12m", twelve, cohort))
    return outcomes


def test_contract_cap_cuts_the_last_outcomes_in_date_order() -> None:
    plan = compute_outcome_payments(
        rules=demo_rules(), participant_outcomes=_three_cohorts_reaching_twelve_months()
    )
    # Training and 6 months: 300 x (800 + 3 000) = 1 140 000 €.
    # Each 12-month outcome fits 5 500 - 3 800 = 1 700 € under the participant
    # cap (300 x 800 € = 240 000 € not payable for that cap).
    # Contract headroom left: 1 500 000 - 1 140 000 = 360 000 € =
    # 211 x 1 700 € (358 700 €) + 1 300 € for participant no. 212 (p211).
    # p211's other 400 € and 88 x 1 700 € (p212..p299) hit the contract cap:
    # 400 + 149 600 = 150 000 €.
    assert plan.total == 1_500_000 * EUR
    assert refused(plan, NotPayableReason.PARTICIPANT_CAP) == 240_000 * EUR
    assert refused(plan, NotPayableReason.CONTRACT_CAP) == 150_000 * EUR
    contract = next(item for item in plan.headroom if item.cap == "contract_cap")
    assert (contract.used, contract.remaining) == (1_500_000 * EUR, 0)
    # Cohort 3 (p200..p299) at 12 months: p200..p210 paid 11 x 1 700 € =
    # 18 700 €, plus p211's 1 300 € = 20 000 €; the line names exactly them.
    [c3_12m] = [line for line in plan.lines if (line.metric, line.cohort) == ("work_12m", "c3")]
    assert c3_12m.amount == 20_000 * EUR
    assert c3_12m.result_ids == tuple(f"w12-p{i}" for i in range(200, 212))
    cut = [line for line in plan.not_payable if line.reason is NotPayableReason.CONTRACT_CAP]
    assert {rid for line in cut for rid in line.result_ids} == {
        f"w12-p{i:03d}" for i in range(211, 300)
    }
    # The State's 70 % and the département's 30 % of 1 500 000 €.
    assert [p.amount for p in plan.payer_totals] == [1_050_000 * EUR, 450_000 * EUR]


def test_metric_count_cap_pays_only_the_first_units_of_an_aggregate_count() -> None:
    rules = demo_rules(
        metrics=[
            {
                "code": "training",
                "max_count": 250,
                "mechanism": {"kind": "rate_card", "price": 80000},
            }
        ]
    )
    results = [
        AggregateResult("a1", "training", "c1", "2026", 100, date(2026, 6, 30)),
        AggregateResult("a2", "training", "c2", "2027", 100, date(2027, 6, 30)),
        AggregateResult("a3", "training", "c3", "2028", 100, date(2028, 6, 30)),
    ]
    plan = compute_outcome_payments(rules=rules, aggregate_results=results)
    # 250 of 300 units: cohort 3 is paid 50 x 800 € = 40 000 €; 50 units not.
    c3 = next(line for line in plan.lines if line.cohort == "c3")
    assert (c3.count, c3.amount, c3.result_ids) == (50, 40_000 * EUR, ("a3",))
    [stopped] = plan.not_payable
    assert (stopped.reason, stopped.count, stopped.amount) == (
        NotPayableReason.METRIC_COUNT_CAP,
        50,
        40_000 * EUR,
    )
    [count_cap] = plan.headroom[:1]
    assert (count_cap.cap, count_cap.used, count_cap.remaining) == ("metric_count_cap", 250, 0)


def test_metric_amount_cap_pays_the_crossing_result_partially() -> None:
    rules = demo_rules(
        metrics=[
            {
                "code": "work_6m",
                "max_amount": 600_000 * EUR,
                "mechanism": {"kind": "rate_card", "price": 300000},
            }
        ]
    )
    results = [
        AggregateResult(f"a{i}", "work_6m", f"c{i}", "2027", 80, date(2027, i, 28))
        for i in (1, 2, 3)
    ]
    plan = compute_outcome_payments(rules=rules, aggregate_results=results)
    # 80 x 3 000 € = 240 000 € per cohort; 600 000 € - 2 x 240 000 € leaves
    # 120 000 € for cohort 3, the other 120 000 € is not payable.
    assert [line.amount for line in plan.lines] == [240_000 * EUR, 240_000 * EUR, 120_000 * EUR]
    assert refused(plan, NotPayableReason.METRIC_AMOUNT_CAP) == 120_000 * EUR


def test_metric_cap_does_not_consume_the_participants_own_headroom() -> None:
    rules = demo_rules(
        metrics=[
            {"code": "training", "mechanism": {"kind": "rate_card", "price": 80000}},
            {
                "code": "work_6m",
                "max_count": 1,
                "mechanism": {"kind": "rate_card", "price": 300000},
            },
            {"code": "work_12m", "mechanism": {"kind": "rate_card", "price": 250000}},
        ]
    )
    plan = compute_outcome_payments(
        rules=rules,
        participant_outcomes=[
            outcome("r1", "p0", "work_6m", date(2026, 9, 1)),
            outcome("r2", "p1", "work_6m", date(2026, 10, 1)),
            outcome("r3", "p1", "work_12m", date(2027, 4, 1)),
        ],
    )
    # The only paid 6-month slot went to p0, so p1 was paid nothing for it and
    # the whole 2 500 € of p1's 12-month outcome fits under p1's 5 500 € cap.
    assert {line.result_ids: line.amount for line in plan.lines}[("r3",)] == 2_500 * EUR
    assert refused(plan, NotPayableReason.METRIC_COUNT_CAP) == 3_000 * EUR


def test_indexation_uses_the_factor_of_the_outcomes_year_rounded_half_up() -> None:
    rules = demo_rules(
        indexation={
            "factors": [{"year": 2027, "factor": "1.02"}, {"year": 2028, "factor": "1.000002"}]
        }
    )
    plan = compute_outcome_payments(
        rules=rules,
        participant_outcomes=[
            outcome("r1", "p1", "training", date(2026, 12, 31)),
            outcome("r2", "p2", "training", date(2027, 1, 1)),
            outcome("r3", "p3", "work_12m", date(2029, 5, 1)),
        ],
    )
    prices = {line.result_ids: line.unit_price for line in plan.lines}
    # 2026 is before the first listed year: 800 € as contracted.
    assert prices[("r1",)] == 80_000
    # 2027: 80 000 c x 1.02 = 81 600 c.
    assert prices[("r2",)] == 81_600
    # 2029 uses the latest listed year (2028): 250 000 c x 1.000002 =
    # 250 000.5 c, rounded half up to 250 001 c.
    assert prices[("r3",)] == 250_001


def test_outcomes_after_early_termination_are_not_payable_and_the_termination_day_pays() -> None:
    plan = compute_outcome_payments(
        rules=demo_rules(),
        participant_outcomes=[
            outcome("r1", "p1", "training", date(2027, 6, 30)),
            outcome("r2", "p2", "training", date(2027, 7, 1)),
        ],
        terminated_on=date(2027, 6, 30),
    )
    assert [line.result_ids for line in plan.lines] == [("r1",)]
    [late] = plan.not_payable
    assert (late.reason, late.result_ids, late.amount) == (
        NotPayableReason.AFTER_TERMINATION,
        ("r2",),
        800 * EUR,
    )


def test_terminated_outcomes_do_not_use_the_participant_cap() -> None:
    plan = compute_outcome_payments(
        rules=demo_rules(participant_cap=3_000 * EUR),
        participant_outcomes=[
            outcome("r1", "p1", "work_6m", date(2027, 7, 1)),
            outcome("r0", "p1", "training", date(2027, 1, 1)),
        ],
        terminated_on=date(2027, 6, 30),
    )
    assert plan.total == 800 * EUR


def test_result_for_an_unknown_metric_names_its_position() -> None:
    with pytest.raises(RuleError) as error:
        compute_outcome_payments(
            rules=demo_rules(),
            aggregate_results=[AggregateResult("a1", "housing", "c1", "2026", 3, date(2026, 1, 1))],
        )
    assert error.value.path == "aggregate_results[0].metric"


def test_json_plan_is_canonical_with_sorted_keys_and_int_money() -> None:
    plan = compute_outcome_payments(
        rules=demo_rules(),
        participant_outcomes=[outcome("r1", "p1", "training", date(2026, 3, 2))],
    )
    data = plan.to_json_dict()
    assert list(data) == sorted(data)
    assert data["lines"][0]["payers"] == [
        {"amount": 56_000, "payer": "state"},
        {"amount": 24_000, "payer": "departement"},
    ]
    assert data["total"] == 80_000


# --- Properties ---------------------------------------------------------------

METRICS = ("training", "work_6m", "work_12m")

participant_outcomes = st.lists(
    st.builds(
        lambda n, who, metric, day: (n, who, metric, day),
        st.integers(0, 10_000),
        st.sampled_from(["p1", "p2", "p3", "p4"]),
        st.sampled_from(METRICS),
        st.integers(0, 1_500),
    ),
    max_size=25,
    unique_by=lambda item: item[0],
).map(
    lambda items: [
        # The cohort is the pseudonym so each line belongs to one participant.
        outcome(f"r{n}", who, metric, date(2026, 1, 1) + timedelta(days=day), cohort=who)
        for n, who, metric, day in items
    ]
)

caps = st.fixed_dictionaries(
    {
        "participant_cap": st.none() | st.integers(0, 8_000 * EUR),
        "contract_cap": st.none() | st.integers(0, 30_000 * EUR),
        "metrics": st.tuples(
            st.none() | st.integers(0, 5), st.none() | st.integers(0, 10_000 * EUR)
        ).map(
            lambda pair: [
                {
                    "code": "training",
                    "max_count": pair[0],
                    "max_amount": pair[1],
                    "mechanism": {"kind": "rate_card", "price": 80000},
                },
                {"code": "work_6m", "mechanism": {"kind": "rate_card", "price": 300000}},
                {"code": "work_12m", "mechanism": {"kind": "rate_card", "price": 250000}},
            ]
        ),
    }
)


@settings(max_examples=200, deadline=None)
@given(outcomes=participant_outcomes, cap_values=caps)
def test_totals_never_exceed_any_cap_and_nothing_priced_is_lost(
    outcomes: list[ParticipantOutcome], cap_values: dict[str, Any]
) -> None:
    rules = demo_rules(**cap_values)
    plan = compute_outcome_payments(rules=rules, participant_outcomes=outcomes)
    if rules.contract_cap is not None:
        assert plan.total <= rules.contract_cap
    if rules.participant_cap is not None:
        for who in {o.pseudonym for o in outcomes}:
            paid = sum(line.amount for line in plan.lines if line.cohort == who)
            assert paid <= rules.participant_cap
    training = rules.metric("training")
    if training.max_amount is not None:
        assert plan.metric_totals["training"] <= training.max_amount
    if training.max_count is not None:
        assert sum(line.count for line in plan.lines if line.metric == "training") <= (
            training.max_count
        )
    priced = sum(rules.metric(o.metric).mechanism.price for o in outcomes)  # type: ignore[union-attr]
    assert plan.total + plan.not_payable_total == priced


@settings(max_examples=200, deadline=None)
@given(outcomes=participant_outcomes, cap_values=caps, seed=st.integers())
def test_recomputation_is_identical_whatever_the_input_order(
    outcomes: list[ParticipantOutcome], cap_values: dict[str, Any], seed: int
) -> None:
    rules = demo_rules(**cap_values)
    shuffled = list(outcomes)
    random.Random(seed).shuffle(shuffled)
    first = compute_outcome_payments(rules=rules, participant_outcomes=outcomes)
    again = compute_outcome_payments(rules=rules, participant_outcomes=shuffled)
    assert first == again
    assert first.to_json_dict() == again.to_json_dict()


@settings(max_examples=200, deadline=None)
@given(
    amount=st.integers(0, 10**12),
    shares=st.lists(st.integers(1, 60), min_size=1, max_size=5).filter(lambda s: sum(s) <= 100),
)
def test_payer_split_sums_to_the_line_amount(amount: int, shares: list[int]) -> None:
    percents = [Decimal(s) for s in shares]
    percents[-1] += Decimal(100) - sum(percents)  # shares must total exactly 100
    rules = demo_rules(
        payers=[{"payer": f"payer{i}", "share_percent": str(p)} for i, p in enumerate(percents)],
        metrics=[{"code": "training", "mechanism": {"kind": "rate_card", "price": 1}}],
        participant_cap=None,
        contract_cap=None,
    )
    plan = compute_outcome_payments(
        rules=rules,
        aggregate_results=[
            AggregateResult("a1", "training", "c1", "2026", amount, date(2026, 1, 1))
        ],
    )
    for line in plan.lines:
        assert sum(part.amount for part in line.payers) == line.amount
    assert sum(p.amount for p in plan.payer_totals) == plan.total == amount


aggregate_counts = st.lists(st.integers(0, 120), min_size=1, max_size=9)


def _aggregates(counts: list[int]) -> list[AggregateResult]:
    # One result per metric x cohort x period, so each result has its own line.
    return [
        AggregateResult(
            f"a{i}", METRICS[i % 3], f"c{i // 3}", "2027", count, date(2027, 1, 1) + timedelta(i)
        )
        for i, count in enumerate(counts)
    ]


@settings(max_examples=200, deadline=None)
@given(
    counts=aggregate_counts,
    which=st.integers(0, 8),
    drop=st.integers(1, 120),
    contract_cap=st.none() | st.integers(0, 800_000 * EUR),
    training_cap=st.none() | st.integers(0, 100_000 * EUR),
)
def test_lowering_a_verified_count_never_increases_its_line_or_the_total(
    counts: list[int], which: int, drop: int, contract_cap: int | None, training_cap: int | None
) -> None:
    which %= len(counts)
    rules = demo_rules(
        contract_cap=contract_cap,
        metrics=[
            {
                "code": "training",
                "max_amount": training_cap,
                "mechanism": {"kind": "rate_card", "price": 80000},
            },
            {"code": "work_6m", "mechanism": {"kind": "rate_card", "price": 300000}},
            {"code": "work_12m", "mechanism": {"kind": "rate_card", "price": 250000}},
        ],
    )
    lowered = list(counts)
    lowered[which] = max(counts[which] - drop, 0)
    before = compute_outcome_payments(rules=rules, aggregate_results=_aggregates(counts))
    after = compute_outcome_payments(rules=rules, aggregate_results=_aggregates(lowered))

    def paid(plan: OutcomePaymentPlan) -> int:
        return sum(line.amount for line in plan.lines if line.result_ids == (f"a{which}",))

    assert paid(after) <= paid(before)
    assert after.total <= before.total


@settings(max_examples=200, deadline=None)
@given(outcomes=participant_outcomes, which=st.integers(0, 24), cap_values=caps)
def test_dropping_an_outcome_never_increases_the_total_under_participant_and_contract_caps(
    outcomes: list[ParticipantOutcome], which: int, cap_values: dict[str, Any]
) -> None:
    # Per-metric caps are left out on purpose: a participant cap and a metric
    # cap overlap, and an early outcome that no longer uses both can free room
    # for two later outcomes (see the report); that is the deal's arithmetic.
    rules = demo_rules(
        participant_cap=cap_values["participant_cap"], contract_cap=cap_values["contract_cap"]
    )
    fewer = [o for i, o in enumerate(outcomes) if i != which]
    before = compute_outcome_payments(rules=rules, participant_outcomes=outcomes)
    after = compute_outcome_payments(rules=rules, participant_outcomes=fewer)
    assert after.total <= before.total


def test_a_result_id_passed_twice_is_refused_rather_than_paid_twice() -> None:
    with pytest.raises(RuleError) as error:
        compute_outcome_payments(
            rules=demo_rules(),
            participant_outcomes=[outcome("r1", "p1", "training", date(2026, 3, 2))],
            aggregate_results=[
                AggregateResult("r1", "training", "c1", "2026", 1, date(2026, 3, 2))
            ],
        )
    assert str(error.value) == "aggregate_results[0].id: repeats result id 'r1'"
