"""Metrics the contract does not price, and a contract cap nobody knows: the engine's rules.

Amounts are cents. A metric is either tracked (measured, never paid) or paid at a price
the contract does not disclose; either way its verified results are evidence, listed as
not payable for 0 with the reason, and never priced. An unknown cap caps nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from django.utils import translation

from outcomes.metrics_validation import metric_mechanism_errors
from payments.rules import (
    AggregateResult,
    NotPayableReason,
    ProgrammeRules,
    RuleError,
    UnpricedResult,
    compute_outcome_payments,
)

EUR = 100


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    # The refusals are asserted as written in English (programme_load's language); the
    # French default translates them (tests/sib/test_programme_format_languages.py).
    with translation.override("en"):
        yield


def rules(**overrides: Any) -> ProgrammeRules:
    data: dict[str, Any] = {
        "currency": "EUR",
        "payers": [
            {"payer": "state", "share_percent": "70"},
            {"payer": "departement", "share_percent": "30"},
        ],
        "contract_cap": 1_500_000 * EUR,
        "metrics": [
            {"code": "training", "mechanism": {"kind": "rate_card", "price": 800 * EUR}},
            {"code": "wellbeing", "mechanism": {"kind": "tracked"}},
            {"code": "sustained", "mechanism": {"kind": "undisclosed"}},
        ],
    }
    data.update(overrides)
    return ProgrammeRules.from_dict(data)


ON = date(2026, 12, 31)


def test_results_on_tracked_and_undisclosed_metrics_pay_nothing_and_are_listed_with_why():
    """10 trainings x 800 € = 8 000 €, whatever the other two metrics' results say."""
    plan = compute_outcome_payments(
        rules=rules(),
        aggregate_results=[AggregateResult("1", "training", "c1", "2026", 10, ON)],
        unpriced_results=[
            UnpricedResult("2", "wellbeing", "c1", "2026", ON),
            UnpricedResult("3", "sustained", "c1", "2026", ON),
        ],
    )
    assert plan.total == 8_000 * EUR
    assert [(line.metric, line.amount) for line in plan.lines] == [("training", 8_000 * EUR)]
    assert [(n.metric, n.reason, n.amount, n.result_ids) for n in plan.not_payable] == [
        ("sustained", NotPayableReason.PRICE_UNDISCLOSED, 0, ("3",)),
        ("wellbeing", NotPayableReason.TRACKED, 0, ("2",)),
    ]
    assert plan.not_payable_total == 0
    assert plan.metric_totals == {"training": 8_000 * EUR, "wellbeing": 0, "sustained": 0}


def test_a_priced_metrics_result_cannot_pass_as_unpriced():
    with pytest.raises(RuleError, match="pays by rate_card, not tracked or undisclosed"):
        compute_outcome_payments(
            rules=rules(), unpriced_results=[UnpricedResult("1", "training", "c1", "2026", ON)]
        )


def test_an_unpriced_metrics_result_cannot_be_priced_as_a_rate_card():
    with pytest.raises(RuleError, match="pays by undisclosed, not rate_card"):
        compute_outcome_payments(
            rules=rules(),
            aggregate_results=[AggregateResult("1", "sustained", "c1", "2026", 10, ON)],
        )


def test_an_unknown_contract_cap_caps_nothing_and_has_no_headroom():
    """2 000 trainings x 800 € = 1 600 000 €: 100 000 € past a 1 500 000 € cap, all paid
    when the cap is unknown."""
    results = [AggregateResult("1", "training", "c1", "2026", 2_000, ON)]
    known = compute_outcome_payments(rules=rules(), aggregate_results=results)
    assert known.total == 1_500_000 * EUR
    assert [(n.reason, n.amount) for n in known.not_payable] == [
        (NotPayableReason.CONTRACT_CAP, 100_000 * EUR)
    ]
    unknown = compute_outcome_payments(rules=rules(contract_cap=None), aggregate_results=results)
    assert unknown.total == 1_600_000 * EUR
    assert unknown.not_payable == ()
    assert [item.cap for item in unknown.headroom] == []


@pytest.mark.parametrize("kind", ["tracked", "undisclosed"])
def test_an_unpriced_metric_takes_no_price_and_no_cap(kind: str):
    assert metric_mechanism_errors(code="m", mechanism={"kind": kind}) == []
    assert metric_mechanism_errors(code="m", mechanism={"kind": kind, "price": 0}) == [
        ("mechanism.price", "unknown key")
    ]
    assert metric_mechanism_errors(code="m", mechanism={"kind": kind}, max_amount=1) == [
        ("max_amount", f"a {kind} metric pays nothing to cap")
    ]
    assert metric_mechanism_errors(code="m", mechanism={"kind": kind}, max_count=1) == [
        ("max_count", "applies to rate_card metrics only")
    ]


def test_a_metric_without_a_mechanism_is_refused_never_taken_as_unpaid():
    assert metric_mechanism_errors(code="m", mechanism=None) == [("mechanism", "must be an object")]
    assert metric_mechanism_errors(code="m", mechanism={}) == [
        (
            "mechanism.kind",
            "must be one of absolute_difference, banded_rate, comparison, rate_card, "
            "savings_share, target, tracked, undisclosed",
        )
    ]


@pytest.mark.parametrize("kind", ["tracked", "undisclosed"])
def test_an_unpriced_mechanism_round_trips(kind: str):
    data = rules().to_dict()
    assert ProgrammeRules.from_dict(data).to_dict() == data
    assert {
        "code": "wellbeing",
        "mechanism": {"kind": "tracked"},
        "max_count": None,
        "max_amount": None,
    } in data["metrics"]
    assert any(m["mechanism"] == {"kind": kind} for m in data["metrics"])
