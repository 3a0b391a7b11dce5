"""Payer shares per cohort and per metric (issue 15, part 3): the engine's rules.

A real deal: a county pays for cohort 1, the State for cohorts 2 to 5. Amounts are cents;
the rate card is the demo's (training 800 €, in work at 6 months 3 000 €).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.utils import translation

from payments.rules import (
    AggregateResult,
    ProgrammeRules,
    RuleError,
    compute_outcome_payments,
)
from payments.rules.payers import SHARE_PLACES
from sib.services import PAYER_SHARE_PLACES

EUR = 100


def rules(splits: list[dict[str, Any]] | None, payers: list[tuple[str, str]]) -> ProgrammeRules:
    data: dict[str, Any] = {
        "currency": "EUR",
        "payers": [{"payer": payer, "share_percent": share} for payer, share in payers],
        "contract_cap": None,
        "metrics": [
            {"code": "training", "mechanism": {"kind": "rate_card", "price": 800 * EUR}},
            {"code": "work_6m", "mechanism": {"kind": "rate_card", "price": 3_000 * EUR}},
        ],
    }
    if splits is not None:
        data["payer_splits"] = splits
    return ProgrammeRules.from_dict(data)


def count(rid: str, metric: str, cohort: str, n: int) -> AggregateResult:
    return AggregateResult(
        id=rid, metric=metric, cohort=cohort, period="2026", count=n, achieved_on=date(2026, 6, 30)
    )


COUNTY_FIRST = [{"cohorts": ["c1"], "shares": [{"payer": "county", "share": "100"}]}]


def test_the_county_pays_cohort_1_and_the_state_cohorts_2_to_5():
    """Cohort 1: 10 trainings x 800 € = 8 000 €, all the county's. Cohort 2: 5 x 800 € =
    4 000 €, cohort 5: 2 in work x 3 000 € = 6 000 €, the State's (programme-wide 100 %).
    The county owes 8 000 €, the State 10 000 €."""
    deal = rules(COUNTY_FIRST, [("state", "100"), ("county", "0")])
    plan = compute_outcome_payments(
        rules=deal,
        aggregate_results=[
            count("r1", "training", "c1", 10),
            count("r2", "training", "c2", 5),
            count("r5", "work_6m", "c5", 2),
        ],
    )
    split = {
        (line.metric, line.cohort): {p.payer: p.amount for p in line.payers} for line in plan.lines
    }
    assert split == {
        ("training", "c1"): {"state": 0, "county": 8_000 * EUR},
        ("training", "c2"): {"state": 4_000 * EUR, "county": 0},
        ("work_6m", "c5"): {"state": 6_000 * EUR, "county": 0},
    }
    assert {p.payer: p.amount for p in plan.payer_totals} == {
        "state": 10_000 * EUR,
        "county": 8_000 * EUR,
    }


def test_a_metric_split_shares_each_line_to_the_cent_by_largest_remainder():
    """In work at 6 months, cohort 2: 1 x 3 000 € = 300 000 cents, split 33.3333 /
    33.3333 / 33.3334 %: exact parts 99 999.9, 99 999.9, 100 000.2; floors 99 999, 99 999,
    100 000 leave 2 cents, to the two largest remainders (0.9, 0.9): 100 000 each.
    Training stays 70 / 30 programme-wide: 800 € -> 560 € and 240 €."""
    deal = rules(
        [
            {
                "metrics": ["work_6m"],
                "shares": [
                    {"payer": "state", "share": "33.3333"},
                    {"payer": "county", "share": "33.3333"},
                    {"payer": "fund", "share": "33.3334"},
                ],
            }
        ],
        [("state", "70"), ("county", "30"), ("fund", "0")],
    )
    plan = compute_outcome_payments(
        rules=deal,
        aggregate_results=[count("r1", "work_6m", "c2", 1), count("r2", "training", "c2", 1)],
    )
    split = {line.metric: [p.amount for p in line.payers] for line in plan.lines}
    assert split == {"work_6m": [100_000, 100_000, 100_000], "training": [56_000, 24_000, 0]}
    assert sum(split["work_6m"]) == 3_000 * EUR


def test_splits_that_do_not_sum_to_exactly_100_are_refused_naming_cohort_and_payers():
    """99.9999 + 0.0002 = 100.0001: refused, not rounded to 100."""
    with pytest.raises(RuleError) as caught:
        rules(
            [
                {
                    "cohorts": ["c1"],
                    "metrics": ["training"],
                    "shares": [
                        {"payer": "county", "share": "99.9999"},
                        {"payer": "state", "share": "0.0002"},
                    ],
                }
            ],
            [("state", "100"), ("county", "0")],
        )
    assert caught.value.path == "payer_splits[0].shares"
    assert caught.value.message == (
        "the shares of county 99.9999, state 0.0002 sum to 100.0001, not exactly 100 "
        "(cohorts c1; metrics training)"
    )


def test_a_share_finer_than_the_ledger_keeps_is_refused_with_the_payer_named():
    with pytest.raises(RuleError) as caught:
        rules(
            [
                {
                    "cohorts": ["c1"],
                    "shares": [
                        {"payer": "county", "share": "99.99999"},
                        {"payer": "state", "share": "0.00001"},
                    ],
                }
            ],
            [("state", "100"), ("county", "0")],
        )
    assert caught.value.path == "payer_splits[0].shares[0].share"
    assert "'county' (99.99999) has more than 4 decimal places" in caught.value.message
    assert SHARE_PLACES == PAYER_SHARE_PLACES  # the format checks what the column keeps


def test_two_splits_on_one_cohort_and_metric_are_refused_naming_the_cell():
    with pytest.raises(RuleError) as caught:
        rules(
            [
                *COUNTY_FIRST,
                {"metrics": ["training"], "shares": [{"payer": "state", "share": "100"}]},
            ],
            [("state", "100"), ("county", "0")],
        )
    assert caught.value.path == "payer_splits[1]"
    assert caught.value.message == (
        "cohort 'c1', metric 'training' is already split by payer_splits[0]: "
        "one split per cohort and metric"
    )


def test_a_split_naming_no_payer_of_the_programme_is_refused():
    with pytest.raises(RuleError) as caught:
        rules(COUNTY_FIRST, [("state", "100")])
    assert caught.value.path == "payer_splits[0].shares[0].payer"


def test_a_split_naming_neither_cohort_nor_metric_is_refused():
    with translation.override("en"), pytest.raises(RuleError) as caught:
        rules([{"shares": [{"payer": "state", "share": "100"}]}], [("state", "100")])
    assert "names no cohort and no metric" in caught.value.message


def test_without_splits_the_terms_are_written_as_before():
    """A programme split programme-wide keeps its contract terms (and their digest)."""
    deal = rules(None, [("state", "70"), ("county", "30")])
    assert "payer_splits" not in deal.to_dict()
    split = rules(COUNTY_FIRST, [("state", "100"), ("county", "0")])
    assert split.to_dict()["payer_splits"] == COUNTY_FIRST
    assert ProgrammeRules.from_dict(split.to_dict()) == split
    assert split.shares_for("c1", "work_6m") == [Decimal(0), Decimal(100)]


# --- Per-payer caps ---------------------------------------------------------------------


def dated(rid: str, metric: str, cohort: str, n: int, on: date) -> AggregateResult:
    return AggregateResult(
        id=rid, metric=metric, cohort=cohort, period="2026", count=n, achieved_on=on
    )


def test_a_payer_capped_mid_schedule_owes_its_cap_and_the_rest_of_its_share_nobody():
    """State 70 %, département 30 % capped at 20 000 €, in date order:
    31 March, 50 trainings x 800 € = 40 000 €: State 28 000 €, département 12 000 €.
    30 June, 10 in work x 3 000 € = 30 000 €: State 21 000 €, département 9 000 € of which
    8 000 € fits its cap (20 000 - 12 000); 1 000 € is due from no one.
    30 September, cohort 2, 10 trainings = 8 000 €: State 5 600 €, département 2 400 €, all
    past its cap. The State owes 54 600 €, the département 20 000 €; 3 400 € capped.
    The cap follows the dates, not the listing (training lines are listed first)."""
    data = rules(None, [("state", "70"), ("departement", "30")]).to_dict()
    data["payers"][1]["cap"] = 20_000 * EUR
    deal = ProgrammeRules.from_dict(data)
    plan = compute_outcome_payments(
        rules=deal,
        aggregate_results=[
            dated("r3", "training", "c2", 10, date(2026, 9, 30)),
            dated("r1", "training", "c1", 50, date(2026, 3, 31)),
            dated("r2", "work_6m", "c1", 10, date(2026, 6, 30)),
        ],
    )
    assert [(line.cohort, line.metric, [p.amount for p in line.payers]) for line in plan.lines] == [
        ("c1", "training", [28_000 * EUR, 12_000 * EUR]),
        ("c2", "training", [5_600 * EUR, 0]),
        ("c1", "work_6m", [21_000 * EUR, 8_000 * EUR]),
    ]
    assert {p.payer: p.amount for p in plan.payer_totals} == {
        "state": 54_600 * EUR,
        "departement": 20_000 * EUR,
    }
    capped = [(n.metric, n.cohort, n.payer, n.amount, n.count) for n in plan.not_payable]
    assert capped == [
        ("training", "c2", "departement", 2_400 * EUR, 0),
        ("work_6m", "c1", "departement", 1_000 * EUR, 0),
    ]
    assert {n.reason.value for n in plan.not_payable} == {"payer_cap"}
    assert plan.total == 74_600 * EUR and plan.not_payable_total == 3_400 * EUR
    (headroom,) = [h for h in plan.headroom if h.cap == "payer_cap"]
    assert (headroom.payer, headroom.limit, headroom.used, headroom.remaining) == (
        "departement",
        20_000 * EUR,
        20_000 * EUR,
        0,
    )
    document = plan.to_json_dict()
    assert document["not_payable"][0]["payer"] == "departement"
    assert document["headroom"] == [
        {
            "cap": "payer_cap",
            "limit": 2_000_000,
            "metric": None,
            "payer": "departement",
            "remaining": 0,
            "unit": "amount",
            "used": 2_000_000,
        }
    ]


def test_a_line_only_a_capped_payer_pays_is_not_paid_past_its_cap():
    """The county pays all of cohort 1, capped at 10 000 €: 20 trainings = 16 000 €, of which
    10 000 € is due and 6 000 € is not; then 5 trainings = 4 000 €, nothing due: the line is
    not paid and its 5 outcomes are listed as capped."""
    data = rules(COUNTY_FIRST, [("state", "100"), ("county", "0")]).to_dict()
    data["payers"][1]["cap"] = 10_000 * EUR
    plan = compute_outcome_payments(
        rules=ProgrammeRules.from_dict(data),
        aggregate_results=[
            dated("r1", "training", "c1", 20, date(2026, 3, 31)),
            AggregateResult(
                id="r3",
                metric="training",
                cohort="c1",
                period="2027",
                count=5,
                achieved_on=date(2027, 3, 31),
            ),
        ],
    )
    assert [(line.period, line.amount, line.count) for line in plan.lines] == [
        ("2026", 10_000 * EUR, 20)
    ]
    assert [(n.period, n.amount, n.count) for n in plan.not_payable] == [
        ("2026", 6_000 * EUR, 0),
        ("2027", 4_000 * EUR, 5),
    ]
    assert {p.payer: p.amount for p in plan.payer_totals} == {"state": 0, "county": 10_000 * EUR}


def test_an_uncapped_payers_terms_are_written_as_before():
    deal = rules(None, [("state", "70"), ("county", "30")])
    assert [set(p) for p in deal.to_dict()["payers"]] == [{"payer", "share_percent"}] * 2
    plan = compute_outcome_payments(
        rules=deal, aggregate_results=[count("r1", "training", "c1", 1)]
    ).to_json_dict()
    assert all("payer" not in item for item in (*plan["not_payable"], *plan["headroom"]))
