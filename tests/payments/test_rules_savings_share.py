"""Savings-share payments, worked by hand from the deal rules.

Amounts are cents. The payer pays 60 % of public cost avoided until the
investors' principal and agreed return (500 000 €) are covered, then 20 %.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from payments.rules import (
    NotPayableReason,
    OutcomePaymentPlan,
    ProgrammeRules,
    RuleError,
    SavingsResult,
    compute_outcome_payments,
)

EUR = 100
D = Decimal
REPAID_AT = 500_000 * EUR


def savings_rules(**programme: Any) -> ProgrammeRules:
    return ProgrammeRules.from_dict(
        {
            "currency": "EUR",
            "payers": [
                {"payer": "state", "share_percent": "70"},
                {"payer": "departement", "share_percent": "30"},
            ],
            "metrics": [
                {
                    "code": "care_avoided",
                    "mechanism": {
                        "kind": "savings_share",
                        "share_before_percent": "60",
                        "share_after_percent": "20",
                    },
                }
            ],
            **programme,
        }
    )


def saving(rid: str, cost_avoided: int, on: date) -> SavingsResult:
    return SavingsResult(rid, "care_avoided", "all", str(on.year), on, cost_avoided)


def test_share_switches_inside_the_result_that_repays_the_investors() -> None:
    results = [
        saving("s1", 400_000 * EUR, date(2027, 6, 30)),
        saving("s2", 500_000 * EUR, date(2028, 6, 30)),
        saving("s3", 300_000 * EUR, date(2029, 6, 30)),
    ]
    plan = compute_outcome_payments(
        rules=savings_rules(), savings_results=results, repayment_target=REPAID_AT
    )
    lines = [(line.result_ids, line.share_percent, line.amount) for line in plan.lines]
    assert lines == [
        # s1: 60 % x 400 000 € = 240 000 €; 260 000 € still to repay.
        (("s1",), D("60"), 240_000 * EUR),
        # s2: 60 % x 500 000 € = 300 000 € would overshoot. 260 000 € / 60 % =
        # 433 333.33 € of the cost avoided repays the investors exactly...
        (("s2",), D("60"), 260_000 * EUR),
        # ...and the other 66 666.67 € pays 20 % = 13 333.333 € -> 13 333.33 €.
        (("s2",), D("20"), 1_333_333),
        # s3: 20 % x 300 000 € = 60 000 €.
        (("s3",), D("20"), 60_000 * EUR),
    ]
    # 240 000 + 260 000 + 13 333.33 + 60 000 € = 573 333.33 €.
    assert plan.total == 57_333_333
    # 13 333.33 € split 70/30: 9 333.331 / 3 999.999 -> floors 9 333.33 + 3 999.99,
    # the leftover cent to the larger remainder (département): 4 000.00.
    split = next(line for line in plan.lines if line.amount == 1_333_333)
    assert [part.amount for part in split.payers] == [933_333, 400_000]


def test_result_repaying_the_investors_exactly_stays_at_the_first_share() -> None:
    results = [
        saving("s1", 500_000 * EUR, date(2027, 6, 30)),  # 60 % = 300 000 €
        saving("s2", 100_000 * EUR, date(2028, 6, 30)),  # 60 % = 60 000 €
    ]
    plan = compute_outcome_payments(
        rules=savings_rules(), savings_results=results, repayment_target=360_000 * EUR
    )
    # 300 000 + 60 000 = 360 000 € reaches the target exactly: no switch yet.
    assert [(line.share_percent, line.amount) for line in plan.lines] == [
        (D("60"), 300_000 * EUR),
        (D("60"), 60_000 * EUR),
    ]


def test_savings_after_termination_are_not_payable() -> None:
    plan = compute_outcome_payments(
        rules=savings_rules(),
        savings_results=[
            saving("s1", 100_000 * EUR, date(2027, 6, 30)),
            saving("s2", 100_000 * EUR, date(2027, 7, 1)),
        ],
        repayment_target=REPAID_AT,
        terminated_on=date(2027, 6, 30),
    )
    assert plan.total == 60_000 * EUR
    [late] = plan.not_payable
    assert (late.result_ids, late.reason) == (("s2",), NotPayableReason.AFTER_TERMINATION)


def test_savings_share_results_need_the_repayment_target() -> None:
    with pytest.raises(RuleError) as error:
        compute_outcome_payments(
            rules=savings_rules(), savings_results=[saving("s1", 1, date(2027, 1, 1))]
        )
    assert error.value.path == "repayment_target"


def test_savings_share_respects_the_contract_cap() -> None:
    plan = compute_outcome_payments(
        rules=savings_rules(contract_cap=250_000 * EUR),
        savings_results=[saving("s1", 500_000 * EUR, date(2027, 6, 30))],
        repayment_target=REPAID_AT,
    )
    # 60 % x 500 000 € = 300 000 €, capped at 250 000 €; 50 000 € not payable.
    assert plan.total == 250_000 * EUR
    assert [(line.reason, line.amount) for line in plan.not_payable] == [
        (NotPayableReason.CONTRACT_CAP, 50_000 * EUR)
    ]


# --- Properties ---------------------------------------------------------------

costs = st.lists(st.integers(0, 10**9), min_size=1, max_size=8)


def _plan(values: list[int], target: int) -> OutcomePaymentPlan:
    results = [saving(f"s{i}", cost, date(2027, 1, 1 + i)) for i, cost in enumerate(values)]
    return compute_outcome_payments(
        rules=savings_rules(), savings_results=results, repayment_target=target
    )


@settings(max_examples=300, deadline=None)
@given(
    values=costs, which=st.integers(0, 7), drop=st.integers(0, 10**9), target=st.integers(0, 10**9)
)
def test_lowering_a_cost_avoided_never_increases_the_total(
    values: list[int], which: int, drop: int, target: int
) -> None:
    which %= len(values)
    lowered = list(values)
    lowered[which] = max(values[which] - drop, 0)
    assert _plan(lowered, target).total <= _plan(values, target).total


@settings(max_examples=300, deadline=None)
@given(values=costs, target=st.integers(0, 10**9))
def test_first_share_never_pays_more_than_the_repayment_target(
    values: list[int], target: int
) -> None:
    plan = _plan(values, target)
    at_first_share = sum(line.amount for line in plan.lines if line.share_percent == D("60"))
    assert at_first_share <= target
    assert plan == _plan(values, target)
    for line in plan.lines:
        assert sum(part.amount for part in line.payers) == line.amount
