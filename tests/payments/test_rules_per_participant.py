"""How often one participant is paid for a metric: once, up to N, or each occurrence.

Amounts are cents. The worked deal: "in work for 3 months" pays 1 000 € per outcome, a
participant is paid at most 2 500 € in all (`participant_cap`), the State pays 70 %, the
département 30 %. p1 is in work four times over two years (r1 2026-03-01, r2 2026-09-01,
r3 2027-03-01, r4 2027-09-01), p2 once (r5 2026-05-01).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from payments.rules import (
    NotPayableReason,
    OutcomePaymentPlan,
    ParticipantOutcome,
    ProgrammeRules,
    RuleError,
    compute_outcome_payments,
    payable_occurrences,
)

EUR = 100


def rules(
    times: Any = None,
    *,
    code: str = "work_3m",
    participant_cap: int | None = 2_500 * EUR,
    **caps: Any,
) -> ProgrammeRules:
    mechanism: dict[str, Any] = {"kind": "rate_card", "price": 1_000 * EUR}
    if times is not None:
        mechanism["payable_per_participant"] = times
    return ProgrammeRules.from_dict(
        {
            "currency": "EUR",
            "payers": [
                {"payer": "state", "share_percent": "70"},
                {"payer": "departement", "share_percent": "30"},
            ],
            "participant_cap": participant_cap,
            "contract_cap": caps.pop("contract_cap", None),
            "metrics": [{"code": code, "mechanism": mechanism, **caps}],
        }
    )


def outcome(rid: str, who: str, on: date, metric: str = "work_3m") -> ParticipantOutcome:
    return ParticipantOutcome(rid, who, metric, who, str(on.year), on)


P1 = [
    outcome("r1", "p1", date(2026, 3, 1)),
    outcome("r2", "p1", date(2026, 9, 1)),
    outcome("r3", "p1", date(2027, 3, 1)),
    outcome("r4", "p1", date(2027, 9, 1)),
]
P2 = [outcome("r5", "p2", date(2026, 5, 1))]
IN_DATE_ORDER = [P1[0], P2[0], *P1[1:]]


def times_of(programme: ProgrammeRules) -> dict[str, int | None]:
    return {
        metric.code: metric.mechanism.payable_per_participant  # type: ignore[union-attr]
        for metric in programme.metrics
    }


def priced(programme: ProgrammeRules, outcomes: list[ParticipantOutcome]):
    kept, repeats = payable_occurrences(outcomes, times_of(programme))
    plan = compute_outcome_payments(rules=programme, participant_outcomes=kept)
    return plan, [(outcome.id, paid.id) for outcome, paid in repeats]


def refused(plan: OutcomePaymentPlan, reason: NotPayableReason) -> int:
    return sum(line.amount for line in plan.not_payable if line.reason is reason)


def test_by_default_a_participant_is_paid_once_and_the_later_outcomes_are_repeats():
    """p1: r1 = 1 000 €; r2, r3, r4 not paid again (each names r1). p2: r5 = 1 000 €.
    Total 2 000 €: State 1 400 €, département 600 €."""
    plan, repeats = priced(rules(), IN_DATE_ORDER)
    assert plan.total == 2_000 * EUR
    assert [(p.payer, p.amount) for p in plan.payer_totals] == [
        ("state", 1_400 * EUR),
        ("departement", 600 * EUR),
    ]
    assert repeats == [("r2", "r1"), ("r3", "r1"), ("r4", "r1")]
    assert refused(plan, NotPayableReason.PARTICIPANT_CAP) == 0


def test_writing_once_explicitly_is_the_default():
    assert rules(1) == rules()
    assert priced(rules(1), IN_DATE_ORDER) == priced(rules(), IN_DATE_ORDER)


def test_up_to_two_pays_a_participants_first_two_outcomes_by_date():
    """p1: r1 + r2 = 2 000 € (within the 2 500 € cap); r3, r4 repeats naming r2, the last
    paid. p2: r5 = 1 000 €. Total 3 000 €: State 2 100 €, département 900 €."""
    plan, repeats = priced(rules(2), IN_DATE_ORDER)
    assert plan.total == 3_000 * EUR
    assert [(p.payer, p.amount) for p in plan.payer_totals] == [
        ("state", 2_100 * EUR),
        ("departement", 900 * EUR),
    ]
    assert repeats == [("r3", "r2"), ("r4", "r2")]
    paid_ids = sorted(i for line in plan.lines for i in line.result_ids)
    assert paid_ids == ["r1", "r2", "r5"]


def test_each_occurrence_is_paid_until_the_participant_cap_stops_it():
    """p1: r1 1 000 €, r2 1 000 € (2 000 € of the 2 500 € cap), r3 pays the 500 € left and
    500 € is refused, r4 is refused whole (1 000 €). p2: r5 1 000 €. Paid 3 500 €
    (State 2 450 €, département 1 050 €), 1 500 € stopped by the participant cap, and
    nothing is a repeat."""
    plan, repeats = priced(rules("each"), IN_DATE_ORDER)
    assert repeats == []
    assert plan.total == 3_500 * EUR
    assert [(p.payer, p.amount) for p in plan.payer_totals] == [
        ("state", 2_450 * EUR),
        ("departement", 1_050 * EUR),
    ]
    assert refused(plan, NotPayableReason.PARTICIPANT_CAP) == 1_500 * EUR


def test_each_occurrence_without_a_participant_cap_is_held_by_the_metric_count_cap():
    """Without a participant cap, "each" prices all five outcomes (5 000 €); a metric
    `max_count` of 4 pays the first four in date order (r1, r5, r2, r3: 4 000 €) and
    refuses r4 (1 000 €) as the metric count cap."""
    plan, repeats = priced(rules("each", participant_cap=None, max_count=4), IN_DATE_ORDER)
    assert repeats == []
    assert plan.total == 4_000 * EUR
    assert refused(plan, NotPayableReason.METRIC_COUNT_CAP) == 1_000 * EUR


def test_the_allowance_counts_per_metric_and_participant():
    """p1 in work twice and trained twice, both metrics once by default: one of each."""
    kept, repeats = payable_occurrences(
        [
            outcome("a", "p1", date(2026, 1, 1)),
            outcome("b", "p1", date(2026, 2, 1), metric="training"),
            outcome("c", "p1", date(2026, 3, 1)),
            outcome("d", "p1", date(2026, 4, 1), metric="training"),
        ],
        {"work_3m": 1},
    )
    assert [o.id for o in kept] == ["a", "b"]
    assert [(o.id, paid.id) for o, paid in repeats] == [("c", "a"), ("d", "b")]


@pytest.mark.parametrize(
    ("times", "message"),
    [
        (0, 'must be a whole number of at least 1, or "each"'),
        (-1, 'must be a whole number of at least 1, or "each"'),
        (2.0, 'must be a whole number of at least 1, or "each"'),
        ("2", 'must be a whole number of at least 1, or "each"'),
        ("all", 'must be a whole number of at least 1, or "each"'),
        (True, 'must be a whole number of at least 1, or "each"'),
        (1_000_000_000, "must be at most 999,999,999"),
    ],
)
def test_a_bad_allowance_is_refused_at_its_path(times: Any, message: str):
    with translation.override("en"), pytest.raises(RuleError) as error:
        rules(times)
    assert str(error.value) == f"metrics[0].mechanism.payable_per_participant: {message}"


@pytest.mark.parametrize(("times", "written"), [(None, None), (1, None), (3, 3), ("each", "each")])
def test_the_allowance_round_trips_and_the_default_is_not_written(times: Any, written: Any):
    programme = rules(times)
    mechanism = programme.to_dict()["metrics"][0]["mechanism"]
    assert mechanism.get("payable_per_participant") == written
    assert ("payable_per_participant" in mechanism) is (written is not None)
    assert ProgrammeRules.from_dict(programme.to_dict()) == programme


# --- Properties ---------------------------------------------------------------

occurrences = st.lists(
    st.tuples(st.sampled_from(["p1", "p2", "p3"]), st.sampled_from(["a", "b"])),
    max_size=30,
).map(
    lambda items: [
        outcome(f"r{i}", who, date(2026, 1, 1) + timedelta(days=i), metric=metric)
        for i, (who, metric) in enumerate(items)
    ]
)
allowances = st.none() | st.integers(1, 4)


@settings(max_examples=200, deadline=None)
@given(outcomes=occurrences, a=allowances, b=allowances)
def test_each_participant_keeps_its_first_allowed_outcomes_and_nothing_is_lost(
    outcomes: list[ParticipantOutcome], a: int | None, b: int | None
):
    times = {"a": a, "b": b}
    kept, repeats = payable_occurrences(outcomes, times)
    # Every outcome is either kept or a repeat, and the kept ones stay in their order.
    repeated = {o.id for o, _ in repeats}
    assert len(repeated) == len(repeats)
    assert kept == [o for o in outcomes if o.id not in repeated]
    for who in ("p1", "p2", "p3"):
        for metric, limit in times.items():
            own = [o for o in outcomes if (o.pseudonym, o.metric) == (who, metric)]
            paid = [o for o in kept if (o.pseudonym, o.metric) == (who, metric)]
            assert paid == own[: len(own) if limit is None else limit]
    for repeat, paid in repeats:
        assert (paid.pseudonym, paid.metric) == (repeat.pseudonym, repeat.metric)
        assert paid in kept and outcomes.index(paid) < outcomes.index(repeat)


@settings(max_examples=200, deadline=None)
@given(
    outcomes=occurrences.map(lambda items: [o for o in items if o.metric == "a"]),
    participant_cap=st.none() | st.integers(0, 5_000 * EUR),
    contract_cap=st.none() | st.integers(0, 20_000 * EUR),
)
def test_allowing_more_occurrences_never_pays_less_and_caps_always_hold(
    outcomes: list[ParticipantOutcome], participant_cap: int | None, contract_cap: int | None
):
    totals = []
    for times in (1, 2, 3, "each"):
        programme = rules(
            times, code="a", participant_cap=participant_cap, contract_cap=contract_cap
        )
        plan, _ = priced(programme, outcomes)
        by_participant: dict[str, int] = {}
        for line in plan.lines:
            by_participant[line.cohort] = by_participant.get(line.cohort, 0) + line.amount
        if participant_cap is not None:
            assert all(amount <= participant_cap for amount in by_participant.values())
        if contract_cap is not None:
            assert plan.total <= contract_cap
        totals.append(plan.total)
    assert totals == sorted(totals)
