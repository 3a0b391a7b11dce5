"""A residual (top-up) payer (issue 15, "payers without fixed shares"): the engine's rules.

A real deal: the county pays 40 % of cohort 1, capped at 30 000 €; the State pays the rest
of each payment, including what the county's cap stops. Amounts are cents; the rate card
is the demo's (training 800 €, in work at 6 months 3 000 €).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from payments.rules import AggregateResult, ProgrammeRules, RuleError, compute_outcome_payments
from payments.rules.payers import REST, apply_payer_caps, split_line
from sib.services import PAYER_SHARE_REST

EUR = 100
COUNTY_40_STATE_REST = [
    {
        "cohorts": ["c1"],
        "shares": [{"payer": "county", "share": "40"}, {"payer": "state", "share": "rest"}],
    }
]


def rules(
    splits: list[dict[str, Any]] | None,
    payers: list[tuple[str, str]],
    caps: dict[str, int] | None = None,
) -> ProgrammeRules:
    data: dict[str, Any] = {
        "currency": "EUR",
        "payers": [
            {"payer": payer, "share_percent": share}
            | ({"cap": (caps or {})[payer]} if payer in (caps or {}) else {})
            for payer, share in payers
        ],
        "contract_cap": None,
        "metrics": [
            {"code": "training", "mechanism": {"kind": "rate_card", "price": 800 * EUR}},
            {"code": "work_6m", "mechanism": {"kind": "rate_card", "price": 3_000 * EUR}},
        ],
    }
    if splits is not None:
        data["payer_splits"] = splits
    return ProgrammeRules.from_dict(data)


def dated(rid: str, metric: str, cohort: str, n: int, on: date) -> AggregateResult:
    return AggregateResult(
        id=rid, metric=metric, cohort=cohort, period="2026", count=n, achieved_on=on
    )


COHORT_1 = [
    dated("r2", "work_6m", "c1", 20, date(2026, 12, 31)),
    dated("r1", "training", "c1", 100, date(2026, 6, 30)),
]


def by_line(plan: Any) -> dict[tuple[str, str], dict[str, int]]:
    return {
        (line.metric, line.cohort): {p.payer: p.amount for p in line.payers} for line in plan.lines
    }


def test_the_state_pays_the_rest_and_what_the_countys_cap_stops():
    """County 40 % of cohort 1 capped at 30 000 €, the State the rest, in date order:
    30 June, 100 trainings x 800 € = 80 000 €: county 40 % = 32 000 €, of which its cap
    lets 30 000 €; the 2 000 € it stops falls to the State: 48 000 + 2 000 = 50 000 €.
    31 December, 20 in work x 3 000 € = 60 000 €: county 24 000 €, all past its cap; the
    State 36 000 + 24 000 = 60 000 €. The county owes 30 000 €, the State 110 000 €;
    nothing is due from no one (140 000 € priced, 140 000 € due)."""
    deal = rules(
        COUNTY_40_STATE_REST, [("state", "100"), ("county", "0")], {"county": 30_000 * EUR}
    )
    plan = compute_outcome_payments(rules=deal, aggregate_results=COHORT_1)
    assert by_line(plan) == {
        ("training", "c1"): {"state": 50_000 * EUR, "county": 30_000 * EUR},
        ("work_6m", "c1"): {"state": 60_000 * EUR, "county": 0},
    }
    assert {p.payer: p.amount for p in plan.payer_totals} == {
        "state": 110_000 * EUR,
        "county": 30_000 * EUR,
    }
    assert plan.not_payable == () and plan.total == 140_000 * EUR
    (headroom,) = [h for h in plan.headroom if h.cap == "payer_cap"]
    assert (headroom.payer, headroom.used, headroom.remaining) == ("county", 30_000 * EUR, 0)


def test_the_residual_payers_own_cap_stops_what_would_fall_to_it():
    """As above, the State capped at 100 000 €: 30 June it owes 50 000 € (used 50 000);
    31 December 60 000 € would fall to it, its cap lets 50 000 €: 10 000 € is due from no
    one, listed under the State's cap (the county's 24 000 € fell to the State first)."""
    deal = rules(
        COUNTY_40_STATE_REST,
        [("state", "100"), ("county", "0")],
        {"county": 30_000 * EUR, "state": 100_000 * EUR},
    )
    plan = compute_outcome_payments(rules=deal, aggregate_results=COHORT_1)
    assert by_line(plan)[("work_6m", "c1")] == {"state": 50_000 * EUR, "county": 0}
    assert [(n.metric, n.reason.value, n.payer, n.amount) for n in plan.not_payable] == [
        ("work_6m", "payer_cap", "state", 10_000 * EUR)
    ]
    assert plan.total == 130_000 * EUR and plan.not_payable_total == 10_000 * EUR


def test_a_programme_wide_residual_payer_pays_the_rest_of_every_line():
    """Programme-wide: county 30 %, fund 25 %, the State the rest (45 %). 3 trainings =
    2 400 € = 240 000 cents: county 72 000, fund 60 000, State 240 000 - 132 000 =
    108 000 cents."""
    deal = rules(None, [("county", "30"), ("fund", "25"), ("state", "rest")])
    plan = compute_outcome_payments(
        rules=deal, aggregate_results=[dated("r1", "training", "c1", 3, date(2026, 6, 30))]
    )
    assert by_line(plan)[("training", "c1")] == {"county": 72_000, "fund": 60_000, "state": 108_000}


def test_the_fixed_parts_come_from_the_one_allocator_and_the_rest_is_exact():
    """1 in work = 300 000 cents; county and fund 33.3333 % each, the State the rest
    (33.3334 %): exact 99 999.9, 99 999.9 and 100 000.2; largest remainder gives the two
    leftover cents to the county and the fund (.9 each): 100 000, 100 000, and the State
    the remainder 300 000 - 200 000 = 100 000."""
    assert split_line(300_000, [Decimal("33.3333"), Decimal("33.3333"), Decimal(0)], 2) == [
        100_000,
        100_000,
        100_000,
    ]
    # One cent: the county's exact part is 0.333333, the rest 0.666667: all to the State.
    assert split_line(1, [Decimal("33.3333"), Decimal(0)], 1) == [0, 1]


def test_a_split_with_the_residual_payer_alone_gives_it_the_whole_line():
    deal = rules(
        [{"cohorts": ["c1"], "shares": [{"payer": "state", "share": "rest"}]}],
        [("county", "100"), ("state", "0")],
    )
    plan = compute_outcome_payments(
        rules=deal, aggregate_results=[dated("r1", "training", "c1", 1, date(2026, 6, 30))]
    )
    assert by_line(plan)[("training", "c1")] == {"county": 0, "state": 800 * EUR}


@pytest.mark.parametrize(
    "shares, message",
    [
        (
            [{"payer": "county", "share": "rest"}, {"payer": "state", "share": "rest"}],
            "payer_splits[0].shares: names more than one residual payer (county, state): at most "
            "one payer per cell pays the rest (cohorts c1; metrics every metric)",
        ),
        (
            [{"payer": "county", "share": "100"}, {"payer": "state", "share": "rest"}],
            "payer_splits[0].shares: the fixed shares of county 100 sum to 100, not below 100: "
            "'state' would have no rest to pay (cohorts c1; metrics every metric)",
        ),
        (
            [{"payer": "county", "share": "99.99"}],
            "payer_splits[0].shares: the shares of county 99.99 sum to 99.99, not exactly 100 "
            "(cohorts c1; metrics every metric)",
        ),
        (
            [{"payer": "county", "share": "everything"}],
            "payer_splits[0].shares[0].share",
        ),
    ],
)
def test_a_split_with_two_residual_payers_or_no_rest_is_refused_naming_the_cell(shares, message):
    with pytest.raises(RuleError) as caught:
        rules([{"cohorts": ["c1"], "shares": shares}], [("state", "100"), ("county", "0")])
    assert message in str(caught.value)


def test_two_programme_wide_residual_payers_or_no_rest_are_refused():
    with pytest.raises(RuleError, match="names more than one residual payer"):
        rules(None, [("county", "rest"), ("state", "rest")])
    with pytest.raises(RuleError, match=r"payers: the fixed shares of county 100 sum to 100"):
        rules(None, [("county", "100"), ("state", "rest")])


def test_terms_write_rest_only_for_a_residual_payer():
    """The new shape appears only when used: other payers' terms (and their digests) stay."""
    deal = rules(COUNTY_40_STATE_REST, [("state", "rest"), ("county", "0")])
    data = deal.to_dict()
    assert data["payers"] == [
        {"payer": "state", "share_percent": "rest"},
        {"payer": "county", "share_percent": "0"},
    ]
    assert data["payer_splits"] == COUNTY_40_STATE_REST
    assert ProgrammeRules.from_dict(data) == deal
    plain = rules(None, [("state", "70"), ("county", "30")]).to_dict()
    assert plain["payers"] == [
        {"payer": "state", "share_percent": "70"},
        {"payer": "county", "share_percent": "30"},
    ]
    assert REST == PAYER_SHARE_REST


# --- Every line adds up ------------------------------------------------------------------

shares = st.lists(
    st.integers(min_value=0, max_value=400_000).map(lambda n: Decimal(n) / 10_000),
    min_size=1,
    max_size=4,
).filter(lambda xs: sum(xs) < 100)


@settings(max_examples=200, deadline=None)
@given(
    fixed=shares,
    amounts=st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=6),
    caps=st.lists(
        st.one_of(st.none(), st.integers(min_value=0, max_value=10**9)), min_size=5, max_size=5
    ),
)
def test_each_lines_payer_parts_and_capped_parts_sum_to_the_line(fixed, amounts, caps):
    """Whatever the shares, amounts and caps: each line's parts sum to the line, what a
    fixed payer's cap stops is never lost (it is kept by the residual payer or cut from
    it), and no payer goes past its cap."""
    residual = len(fixed)
    weights = [*fixed, Decimal(0)]
    parts = [split_line(amount, weights, residual) for amount in amounts]
    for amount, line in zip(amounts, parts, strict=True):
        assert sum(line) == amount and all(part >= 0 for part in line)
    payer_caps = caps[: len(weights)]
    kept, cut, used = apply_payer_caps(parts, payer_caps, [residual] * len(parts))
    for amount, line_kept, line_cut in zip(amounts, kept, cut, strict=True):
        assert sum(line_kept) + sum(line_cut) == amount
        assert all(c == 0 for j, c in enumerate(line_cut) if j != residual)
    for j, cap in enumerate(payer_caps):
        assert used[j] == sum(line[j] for line in kept)
        assert cap is None or used[j] <= cap


@settings(max_examples=100, deadline=None)
@given(
    county=st.integers(min_value=1, max_value=999_999).map(lambda n: Decimal(n) / 10_000),
    counts=st.lists(st.integers(min_value=1, max_value=500), min_size=1, max_size=5),
    county_cap=st.one_of(st.none(), st.integers(min_value=0, max_value=200_000 * EUR)),
    state_cap=st.one_of(st.none(), st.integers(min_value=0, max_value=200_000 * EUR)),
)
def test_every_plan_line_is_its_payers_parts_and_nothing_is_lost(
    county, counts, county_cap, state_cap
):
    """Through the engine: each line is the sum of its payers' parts, and what is priced is
    what is due plus what the State's cap stops (the county's cap stops nothing for good:
    it falls to the State)."""
    caps = {k: v for k, v in (("county", county_cap), ("state", state_cap)) if v is not None}
    deal = rules(
        [
            {
                "cohorts": ["c1"],
                "shares": [
                    {"payer": "county", "share": f"{county:f}"},
                    {"payer": "state", "share": "rest"},
                ],
            }
        ],
        [("state", "100"), ("county", "0")],
        caps,
    )
    results = [
        AggregateResult(
            id=f"r{i}",
            metric="training",
            cohort="c1",
            period=f"p{i}",
            count=n,
            achieved_on=date(2026, 1, 1 + i),
        )
        for i, n in enumerate(counts)
    ]
    plan = compute_outcome_payments(rules=deal, aggregate_results=results)
    for line in plan.lines:
        assert sum(p.amount for p in line.payers) == line.amount
    assert plan.total + plan.not_payable_total == sum(counts) * 800 * EUR
    assert {n.payer for n in plan.not_payable} <= {"state"}
