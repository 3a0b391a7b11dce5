"""Rule definitions: the programme JSON, read and written back, with errors naming the path."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from payments.rules import ProgrammeRules, RuleError, Tier

EUR = 100


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    # The refusals are asserted as written in English (programme_load's language); the
    # French default translates them (tests/sib/test_programme_format_languages.py).
    with translation.override("en"):
        yield


def programme() -> dict[str, Any]:
    """Return the demo programme plus one metric of each other mechanism."""
    return {
        "currency": "EUR",
        "payers": [
            {"payer": "state", "share_percent": "70"},
            {"payer": "departement", "share_percent": "30"},
        ],
        "participant_cap": 5_500 * EUR,
        "contract_cap": 1_500_000 * EUR,
        "indexation": {"factors": [{"year": 2027, "factor": "1.02"}]},
        "metrics": [
            {"code": "training", "mechanism": {"kind": "rate_card", "price": 800 * EUR}},
            {
                "code": "work_6m",
                "max_count": 250,
                "max_amount": 600_000 * EUR,
                "mechanism": {"kind": "rate_card", "price": 3_000 * EUR},
            },
            {
                "code": "reoffending",
                "mechanism": {
                    "kind": "comparison",
                    "direction": "lower_is_better",
                    "cohorts": ["c1", "c2", "c3"],
                    "cohort_threshold": "0.10",
                    "pooled_threshold": "0.075",
                    "tiers": [
                        {"min_improvement": "0.075", "max_improvement": "0.10", "amount": 100},
                        {"min_improvement": "0.10", "max_improvement": None, "amount": 250},
                    ],
                },
            },
            {
                "code": "care_avoided",
                "mechanism": {
                    "kind": "savings_share",
                    "share_before_percent": "60",
                    "share_after_percent": "20",
                },
            },
            {"code": "housed", "mechanism": {"kind": "target", "target_rate": "0.5", "amount": 1}},
        ],
    }


def error_for(data: dict[str, Any]) -> str:
    with pytest.raises(RuleError) as error:
        ProgrammeRules.from_dict(data)
    return str(error.value)


def test_programme_round_trips_through_json_unchanged() -> None:
    rules = ProgrammeRules.from_dict(programme())
    text = json.dumps(rules.to_dict(), sort_keys=True)
    assert ProgrammeRules.from_dict(json.loads(text)) == rules
    assert rules.metric("reoffending").mechanism.cohort_threshold == Decimal("0.10")  # type: ignore[union-attr]


def test_to_dict_writes_decimals_as_strings_and_money_as_ints() -> None:
    data = ProgrammeRules.from_dict(programme()).to_dict()
    assert data["payers"][0] == {"payer": "state", "share_percent": "70"}
    assert data["metrics"][0]["mechanism"] == {"kind": "rate_card", "price": 80_000}
    assert data["metrics"][2]["mechanism"]["tiers"][0]["min_improvement"] == "0.075"


def test_tier_whose_floor_is_not_below_its_ceiling_names_its_path() -> None:
    data = programme()
    data["metrics"][2]["mechanism"]["tiers"][1]["max_improvement"] = "0.05"
    assert error_for(data) == (
        "metrics[2].mechanism.tiers[1].min_improvement: must be below max_improvement"
    )


def test_overlapping_tiers_are_refused() -> None:
    data = programme()
    data["metrics"][2]["mechanism"]["tiers"][1]["min_improvement"] = "0.09"
    assert error_for(data).startswith("metrics[2].mechanism.tiers[1].min_improvement: overlaps")


def test_a_better_tier_may_not_pay_less() -> None:
    data = programme()
    data["metrics"][2]["mechanism"]["tiers"][1]["amount"] = 99
    assert error_for(data) == (
        "metrics[2].mechanism.tiers[1].amount: must not be below tiers[0].amount"
    )


def test_float_thresholds_are_refused_so_no_binary_fraction_enters() -> None:
    data = programme()
    data["metrics"][2]["mechanism"]["cohort_threshold"] = 0.1
    assert error_for(data).startswith("metrics[2].mechanism.cohort_threshold: must be a decimal")


@pytest.mark.parametrize("price", [800.0, "800", True, -1])
def test_prices_must_be_non_negative_integer_cents(price: object) -> None:
    data = programme()
    data["metrics"][0]["mechanism"]["price"] = price
    assert error_for(data).startswith("metrics[0].mechanism.price: must")


def test_payer_shares_must_sum_to_exactly_one_hundred() -> None:
    data = programme()
    data["payers"] = [
        {"payer": name, "share_percent": "33.33"} for name in ("state", "departement", "caf")
    ]
    assert error_for(data) == "payers: share_percent must sum to exactly 100, not 99.99"


def test_misspelt_cap_is_an_unknown_key_not_a_missing_cap() -> None:
    data = programme()
    data["contract_capp"] = data.pop("contract_cap")
    assert error_for(data) == "contract_capp: unknown key"


def test_unknown_mechanism_kind_lists_the_known_ones() -> None:
    data = programme()
    data["metrics"][1]["mechanism"]["kind"] = "bonus"
    assert error_for(data) == (
        "metrics[1].mechanism.kind: must be one of absolute_difference, banded_rate, comparison, "
        "rate_card, savings_share, target, tracked, undisclosed"
    )


def test_comparison_needs_exactly_one_way_to_price() -> None:
    data = programme()
    data["metrics"][2]["mechanism"]["price_per_point"] = 5_000
    assert error_for(data) == (
        "metrics[2].mechanism: needs exactly one of price_per_point or tiers"
    )


def test_count_cap_applies_to_rate_card_metrics_only() -> None:
    data = programme()
    data["metrics"][3]["max_count"] = 10
    assert error_for(data) == "metrics[3].max_count: applies to rate_card metrics only"


def test_metric_codes_are_unique() -> None:
    data = programme()
    data["metrics"][1]["code"] = "training"
    assert error_for(data) == "metrics[1].code: repeats metric 'training'"


def test_index_years_must_increase() -> None:
    data = programme()
    data["indexation"]["factors"].append({"year": 2027, "factor": "1.03"})
    assert error_for(data) == "indexation.factors[1].year: years must be listed in increasing order"


def test_first_share_of_savings_must_be_positive() -> None:
    data = programme()
    data["metrics"][3]["mechanism"]["share_before_percent"] = "0"
    assert error_for(data) == "metrics[3].mechanism.share_before_percent: must be above 0"


def test_missing_required_field_is_named() -> None:
    data = programme()
    del data["metrics"][2]["mechanism"]["direction"]
    assert error_for(data) == "metrics[2].mechanism.direction: is required"


def test_definitions_are_not_mutated_by_reading() -> None:
    data = programme()
    before = copy.deepcopy(data)
    ProgrammeRules.from_dict(data)
    assert data == before


bands = st.lists(st.tuples(st.integers(1, 500), st.integers(0, 10_000)), min_size=1, max_size=6)


@given(bands=bands)
def test_any_valid_tier_table_round_trips(bands: list[tuple[int, int]]) -> None:
    floors = sorted({width for width, _ in bands})
    amounts = sorted(amount for _, amount in bands)[: len(floors)]
    tiers = [
        {
            "min_improvement": str(Decimal(low) / 1000),
            "max_improvement": str(Decimal(high) / 1000) if high is not None else None,
            "amount": amount,
        }
        for low, high, amount in zip(floors, [*floors[1:], None], amounts, strict=True)
    ]
    data = programme()
    data["metrics"][2]["mechanism"]["tiers"] = tiers
    rules = ProgrammeRules.from_dict(data)
    assert ProgrammeRules.from_dict(json.loads(json.dumps(rules.to_dict()))) == rules
    mechanism = rules.metric("reoffending").mechanism
    assert all(isinstance(tier, Tier) for tier in mechanism.tiers)  # type: ignore[union-attr]
