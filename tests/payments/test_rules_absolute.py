"""Payments on absolute values, worked by hand from the deal rules.

`absolute_difference`: a price per unit the treated group beats its comparison group by
(per reconviction avoided), whole units, nothing for a difference of 0 or less or below
the threshold. `banded_rate`: the amount of the band a rate achieved / measured falls
in, the rate quantised to 0.0001 half even first, lower bound included, upper excluded.
Amounts are cents; the State pays 70 %, the département 30 %.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from payments.rules import (
    BandedRateResult,
    DifferenceResult,
    NotPayableReason,
    OutcomePaymentPlan,
    ProgrammeRules,
    RuleError,
    compute_outcome_payments,
)
from payments.rules.absolute import absolute_result

EUR = 100
D = Decimal
END_2027 = date(2027, 12, 31)


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    # The refusals are asserted as written in English (programme_load's language); the
    # French default translates them (tests/sib/test_programme_format_languages.py).
    with translation.override("en"):
        yield


def rules_with(mechanism: dict[str, Any], **programme: Any) -> ProgrammeRules:
    return ProgrammeRules.from_dict(
        {
            "currency": "EUR",
            "payers": [
                {"payer": "state", "share_percent": "70"},
                {"payer": "departement", "share_percent": "30"},
            ],
            "metrics": [{"code": "m", "mechanism": mechanism}],
            **programme,
        }
    )


def per_event(**changes: Any) -> dict[str, Any]:
    mechanism: dict[str, Any] = {
        "kind": "absolute_difference",
        "direction": "lower_is_better",
        "price_per_unit": 1_500 * EUR,
    }
    return {**mechanism, **changes}


def events(
    treated: int, comparison: int, cohort: str = "c1", period: str = "2027", on: date = END_2027
) -> DifferenceResult:
    return DifferenceResult(f"{cohort}-{period}", "m", cohort, period, on, treated, comparison)


def restoration(basis: str = "per_cohort", scale: int = 1) -> dict[str, Any]:
    """The deal's bands: at least 70 %, 65-70 %, 60-65 %; below 60 % nothing."""
    return {
        "kind": "banded_rate",
        "bands": [
            {"min_rate": "0.60", "max_rate": "0.65", "amount": 30_000 * EUR // scale},
            {"min_rate": "0.65", "max_rate": "0.70", "amount": 45_000 * EUR // scale},
            {"min_rate": "0.70", "max_rate": None, "amount": 60_000 * EUR // scale},
        ],
        "basis": basis,
    }


def rate(achieved: int, measured: int, cohort: str = "c1", on: date = END_2027) -> BandedRateResult:
    return BandedRateResult(f"{cohort}-{achieved}", "m", cohort, "2027", on, achieved, measured)


def paid(plan: OutcomePaymentPlan) -> dict[str, int]:
    return {line.cohort: line.amount for line in plan.lines}


# --- absolute_difference --------------------------------------------------------------


def test_thirty_reconvictions_avoided_pay_thirty_times_the_price_per_event() -> None:
    """Comparison group 150 reconvictions, cohort 120: 150 - 120 = 30 avoided.
    30 x 1 500 € = 45 000 €; the State 70 % = 31 500 €, the département 13 500 €."""
    plan = compute_outcome_payments(
        rules=rules_with(per_event()), difference_results=[events(120, 150)]
    )
    (line,) = plan.lines
    assert (line.count, line.unit_price, line.amount) == (30, 1_500 * EUR, 45_000 * EUR)
    assert line.improvement == D(30)
    assert [(p.payer, p.amount) for p in line.payers] == [
        ("state", 31_500 * EUR),
        ("departement", 13_500 * EUR),
    ]
    assert plan.not_payable == ()


def test_higher_is_better_counts_treated_minus_comparison() -> None:
    """48 in work in the cohort, 40 in the comparison group: 8 more x 1 500 € = 12 000 €."""
    rules = rules_with(per_event(direction="higher_is_better"))
    plan = compute_outcome_payments(rules=rules, difference_results=[events(48, 40)])
    assert plan.total == 12_000 * EUR


def test_a_cohort_that_did_no_better_or_worse_is_paid_nothing_and_says_by_how_much() -> None:
    """Lower is better: 160 against 150 is 10 worse (-10), 150 against 150 is 0: neither pays."""
    plan = compute_outcome_payments(
        rules=rules_with(per_event()),
        difference_results=[events(160, 150, "c1"), events(150, 150, "c2")],
    )
    assert plan.total == 0
    assert [(n.cohort, n.reason, n.amount, n.count, n.improvement) for n in plan.not_payable] == [
        ("c1", NotPayableReason.BELOW_THRESHOLD, 0, 0, D(-10)),
        ("c2", NotPayableReason.BELOW_THRESHOLD, 0, 0, D(0)),
    ]


def test_the_threshold_is_in_units_and_once_reached_every_unit_pays() -> None:
    """Threshold 10 events: 9 avoided pays nothing; exactly 10 pays 10 x 1 500 € = 15 000 €
    (all ten, not only those above the threshold)."""
    plan = compute_outcome_payments(
        rules=rules_with(per_event(threshold=10)),
        difference_results=[events(141, 150, "c1"), events(140, 150, "c2")],
    )
    assert paid(plan) == {"c2": 15_000 * EUR}
    assert [(n.cohort, n.improvement) for n in plan.not_payable] == [("c1", D(9))]


def test_each_period_stands_alone_a_bad_year_takes_nothing_back() -> None:
    """2027: 5 worse (nothing); 2028: 20 avoided, 20 x 1 500 € = 30 000 €, not (20 - 5) x."""
    plan = compute_outcome_payments(
        rules=rules_with(per_event()),
        difference_results=[
            events(155, 150, period="2027"),
            events(130, 150, period="2028", on=date(2028, 12, 31)),
        ],
    )
    assert [(line.period, line.amount) for line in plan.lines] == [("2028", 30_000 * EUR)]


def test_the_price_per_unit_is_indexed_by_the_results_date_then_multiplied_exactly() -> None:
    """Indexed 1.0333 from 2027: 1 500 € x 1.0333 = 1 549.95 €; 7 avoided x 1 549.95 € =
    10 849.65 €, exact in cents (the rounding is the index's, once, on the unit price)."""
    rules = rules_with(per_event(), indexation={"factors": [{"year": 2027, "factor": "1.0333"}]})
    plan = compute_outcome_payments(rules=rules, difference_results=[events(143, 150)])
    (line,) = plan.lines
    assert (line.unit_price, line.amount) == (154_995, 1_084_965)


def test_a_metric_cap_and_termination_apply_as_to_any_mechanism() -> None:
    """Cap 40 000 €: 30 avoided (45 000 €) pays 40 000 €, 5 000 € capped off. A 2029 result,
    after the termination on 2028-06-30, is not payable."""
    rules = ProgrammeRules.from_dict(
        {
            **rules_with(per_event()).to_dict(),
            "metrics": [{"code": "m", "mechanism": per_event(), "max_amount": 40_000 * EUR}],
        }
    )
    plan = compute_outcome_payments(
        rules=rules,
        difference_results=[events(120, 150), events(100, 150, "c2", on=date(2029, 12, 31))],
        terminated_on=date(2028, 6, 30),
    )
    assert plan.total == 40_000 * EUR
    assert [(n.cohort, n.reason, n.amount) for n in plan.not_payable] == [
        ("c1", NotPayableReason.METRIC_AMOUNT_CAP, 5_000 * EUR),
        ("c2", NotPayableReason.AFTER_TERMINATION, 0),
    ]


def test_a_fractional_count_is_refused_naming_the_field_never_rounded() -> None:
    with pytest.raises(RuleError, match=r"results\[7\]\.comparison_value: must be a whole number"):
        absolute_result(
            "absolute_difference",
            "7",
            ("m", "c1", "2027"),
            END_2027,
            "results[7]",
            D("120"),
            D("150.5"),
            None,
        )
    with pytest.raises(RuleError, match=r"results\[7\]\.comparison_value: is required"):
        absolute_result(
            "absolute_difference",
            "7",
            ("m", "c1", "2027"),
            END_2027,
            "results[7]",
            D("120"),
            None,
            None,
        )


@pytest.mark.parametrize(
    ("changes", "path", "message"),
    [
        ({"price_per_unit": 15.5}, "price_per_unit", "integer amount of minor units"),
        ({"threshold": -1}, "threshold", "must not be negative"),
        ({"threshold": "10"}, "threshold", "must be an integer"),
        ({"direction": "up"}, "direction", "must be one of"),
        ({"per_point": 1}, "per_point", "unknown key"),
    ],
)
def test_an_absolute_difference_written_wrong_is_refused_at_its_path(
    changes: dict[str, Any], path: str, message: str
) -> None:
    with pytest.raises(RuleError) as error:
        rules_with(per_event(**changes))
    assert error.value.path == f"metrics[0].mechanism.{path}"
    assert message in error.value.message


def test_an_absolute_difference_reads_back_what_it_writes() -> None:
    rules = rules_with(per_event(threshold=10))
    assert rules.metrics[0].mechanism.to_dict() == {**per_event(), "threshold": 10}
    assert ProgrammeRules.from_dict(rules.to_dict()) == rules


# --- banded_rate ------------------------------------------------------------------------


def test_each_cohort_is_paid_the_amount_of_the_band_its_rate_falls_in() -> None:
    """142 / 200 = 0.71 >= 0.70: 60 000 €. 133 / 200 = 0.665, in [0.65, 0.70): 45 000 €.
    130 / 200 = 0.65 exactly, the lower bound included: 45 000 €. 119 / 200 = 0.595 < 0.60:
    nothing."""
    plan = compute_outcome_payments(
        rules=rules_with(restoration()),
        banded_rate_results=[
            rate(142, 200, "c1"),
            rate(133, 200, "c2"),
            rate(130, 200, "c3"),
            rate(119, 200, "c4"),
        ],
    )
    assert paid(plan) == {"c1": 60_000 * EUR, "c2": 45_000 * EUR, "c3": 45_000 * EUR}
    assert [line.improvement for line in plan.lines] == [D("0.7100"), D("0.6650"), D("0.6500")]
    assert [(n.cohort, n.reason, n.amount, n.improvement) for n in plan.not_payable] == [
        ("c4", NotPayableReason.BELOW_THRESHOLD, 0, D("0.5950"))
    ]


def test_the_rate_is_quantised_half_even_before_it_is_placed_in_a_band() -> None:
    """13 999 / 20 000 = 0.69995 -> 0.7000 (half even: 0.6999|5 goes to the even 0.7000):
    the top band, 60 000 €. 27 997 / 40 000 = 0.699925 -> 0.6999: 45 000 €."""
    plan = compute_outcome_payments(
        rules=rules_with(restoration()),
        banded_rate_results=[rate(13_999, 20_000, "c1"), rate(27_997, 40_000, "c2")],
    )
    assert paid(plan) == {"c1": 60_000 * EUR, "c2": 45_000 * EUR}


def test_per_participant_the_band_amount_is_paid_for_every_participant_measured() -> None:
    """Bands of 150 €, 225 € and 300 € per participant; 142 / 200 = 0.71: the top band,
    300 € x 200 measured = 60 000 €; 70/30 split 42 000 € and 18 000 €."""
    plan = compute_outcome_payments(
        rules=rules_with(restoration("per_participant", scale=200)),
        banded_rate_results=[rate(142, 200)],
    )
    (line,) = plan.lines
    assert (line.count, line.unit_price, line.amount) == (200, 300 * EUR, 60_000 * EUR)
    assert [p.amount for p in line.payers] == [42_000 * EUR, 18_000 * EUR]


def test_a_rate_needs_participants_measured_and_no_more_achieving_than_measured() -> None:
    rules = rules_with(restoration())
    with pytest.raises(RuleError, match="measured: must be above 0"):
        compute_outcome_payments(rules=rules, banded_rate_results=[rate(0, 0)])
    with pytest.raises(RuleError, match="achieved: must not exceed the 200 measured"):
        compute_outcome_payments(rules=rules, banded_rate_results=[rate(201, 200)])
    with pytest.raises(RuleError, match=r"results\[3\]\.sample_size: is required"):
        absolute_result(
            "banded_rate",
            "3",
            ("m", "c1", "2027"),
            END_2027,
            "results[3]",
            D("142"),
            None,
            None,
        )
    with pytest.raises(RuleError, match=r"results\[3\]\.value: must be a whole number, not 142.5"):
        absolute_result(
            "banded_rate",
            "3",
            ("m", "c1", "2027"),
            END_2027,
            "results[3]",
            D("142.500000"),
            None,
            200,
        )


def _bands(*bands: tuple[str, str | None, int]) -> dict[str, Any]:
    return {
        "kind": "banded_rate",
        "basis": "per_cohort",
        "bands": [{"min_rate": lo, "max_rate": hi, "amount": amount} for lo, hi, amount in bands],
    }


@pytest.mark.parametrize(
    ("mechanism", "path", "message"),
    [
        (_bands(("0.60", "0.65", 1), ("0.70", None, 2)), "bands[1].min_rate", "without gaps"),
        (_bands(("0.60", "0.70", 1), ("0.65", None, 2)), "bands[1].min_rate", "without gaps"),
        (_bands(("0.60", None, 1), ("0.70", None, 2)), "bands[1].min_rate", "without gaps"),
        (_bands(("0.60", "0.70", 2), ("0.70", None, 1)), "bands[1].amount", "must not be below"),
        (_bands(("0.70", "1", 1)), "bands[0].max_rate", "leave it null for a band up to 100 %"),
        (_bands(("0.70", "0.60", 1)), "bands[0].min_rate", "must be below max_rate"),
        (_bands(("1.5", None, 1)), "bands[0].min_rate", "at least 0 and below 1"),
        (_bands(), "bands", "at least one band"),
        ({**_bands(("0.6", None, 1)), "basis": None}, "basis", "must be one of"),
    ],
)
def test_bands_written_wrong_are_refused_at_their_path(
    mechanism: dict[str, Any], path: str, message: str
) -> None:
    with pytest.raises(RuleError) as error:
        rules_with(mechanism)
    assert error.value.path == f"metrics[0].mechanism.{path}"
    assert message in error.value.message


def test_a_top_band_ending_below_100_percent_is_refused() -> None:
    """Bands 60-65 % and 65-70 %: a rate of 75 % would fall in no band and pay nothing,
    less than 65 % pays. The top band's max_rate must be null, up to 100 %."""
    mechanism = _bands(("0.60", "0.65", 30_000), ("0.65", "0.70", 45_000))
    with pytest.raises(RuleError) as error:
        rules_with(mechanism)
    assert error.value.path == "metrics[0].mechanism.bands[1].max_rate"
    assert error.value.message == "leave it null: the top band runs to 100 %"


def test_the_basis_is_required_never_assumed() -> None:
    mechanism = restoration()
    del mechanism["basis"]
    with pytest.raises(RuleError, match=r"mechanism\.basis: is required"):
        rules_with(mechanism)


def test_a_banded_rate_reads_back_what_it_writes() -> None:
    rules = rules_with(restoration())
    assert rules.metrics[0].mechanism.to_dict() == restoration()
    assert ProgrammeRules.from_dict(rules.to_dict()) == rules


# --- Properties -------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    treated=st.integers(0, 1_000),
    comparison=st.integers(0, 1_000),
    worse=st.integers(0, 200),
    threshold=st.none() | st.integers(0, 100),
    lower=st.booleans(),
)
def test_a_worse_count_never_pays_more_and_a_paid_difference_is_units_times_price(
    treated: int, comparison: int, worse: int, threshold: int | None, lower: bool
) -> None:
    direction = "lower_is_better" if lower else "higher_is_better"
    rules = rules_with(per_event(direction=direction, threshold=threshold))
    worse_treated = treated + worse if lower else max(treated - worse, 0)
    before = compute_outcome_payments(rules=rules, difference_results=[events(treated, comparison)])
    after = compute_outcome_payments(
        rules=rules, difference_results=[events(worse_treated, comparison)]
    )
    assert after.total <= before.total
    units = comparison - treated if lower else treated - comparison
    expected = units * 1_500 * EUR if units > 0 and units >= (threshold or 0) else 0
    assert before.total == expected
    assert len(before.lines) + len(before.not_payable) == 1


@settings(max_examples=300, deadline=None)
@given(
    measured=st.integers(1, 5_000),
    share=st.fractions(0, 1),
    more=st.integers(0, 500),
    basis=st.sampled_from(["per_cohort", "per_participant"]),
)
def test_a_higher_rate_never_pays_less_and_pays_a_band_amount_or_nothing(
    measured: int, share: Any, more: int, basis: str
) -> None:
    rules = rules_with(restoration(basis, scale=100))
    achieved = int(share * measured)
    better = min(achieved + more, measured)
    before = compute_outcome_payments(rules=rules, banded_rate_results=[rate(achieved, measured)])
    after = compute_outcome_payments(rules=rules, banded_rate_results=[rate(better, measured)])
    assert after.total >= before.total
    amounts = {0, 300 * EUR, 450 * EUR, 600 * EUR}
    factor = measured if basis == "per_participant" else 1
    assert before.total in {amount * factor for amount in amounts}
    for line in before.lines:
        assert sum(part.amount for part in line.payers) == line.amount
