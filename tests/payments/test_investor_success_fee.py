"""An investor success fee: a share of what reaches the step, paid to one tranche's
investors above its return cap, pro rata by commitment (issue 15, part 4).

The junior tranche: the fund committed 300 000 € and the bank 100 000 €, each drew
100 000 € on 2026-01-01; their return is capped at 1.1 x drawn (10 000 € each).
"""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import translation

from payments.engine.metrics import schedule_metrics
from payments.engine.schedule import PaymentReceived, compute_schedule
from payments.engine.terms import (
    Drawdown,
    InvalidTermsError,
    Investor,
    InvestorSuccessFee,
    MultipleCap,
    Principal,
    ResidualToPayer,
    Return,
    Tranche,
    TrancheKind,
)
from payments.waterfall_format import StepError, step_from_dict, step_to_dict

EUR = 100
DRAWN = 100_000 * EUR
JUNIOR = Tranche(
    "junior",
    TrancheKind.SUBORDINATED_LOAN,
    (
        Investor("fund", (Drawdown(date(2026, 1, 1), DRAWN),), commitment=300_000 * EUR),
        Investor("bank", (Drawdown(date(2026, 1, 1), DRAWN),), commitment=100_000 * EUR),
    ),
    cap=MultipleCap(Decimal("1.1")),
)


def run(steps, *payments):  # type: ignore[no-untyped-def]
    return compute_schedule(
        tranches=(JUNIOR,),
        payments=[PaymentReceived(date(2027, 1, 1 + i), a) for i, a in enumerate(payments)],
        steps=steps,
    )


def paid(schedule, kind: str) -> dict[str, int]:  # type: ignore[no-untyped-def]
    out: dict[str, int] = {}
    for row in schedule.distributions:
        if row.step_kind == kind:
            out[row.recipient] = out.get(row.recipient, 0) + row.amount
    return out


AFTER_THE_CAP = (
    Principal("junior"),
    Return("junior"),
    InvestorSuccessFee("junior", Decimal("0.25")),
    ResidualToPayer(),
)


def test_the_fee_above_the_cap_goes_to_the_investors_by_commitment() -> None:
    """300 000 €: principal 200 000 € (100 000 € each), return up to the cap 20 000 €
    (10 000 € each); 80 000 € left, 25 % = 20 000 € split 3 : 1 by commitment:
    15 000 € to the fund, 5 000 € to the bank; 60 000 € stays with the payer."""
    schedule = run(AFTER_THE_CAP, 300_000 * EUR)
    assert paid(schedule, "return") == {"fund": 10_000 * EUR, "bank": 10_000 * EUR}
    assert paid(schedule, "investor_success_fee") == {"fund": 15_000 * EUR, "bank": 5_000 * EUR}
    assert schedule.total_residual == 60_000 * EUR


def test_the_fee_counts_in_the_return_and_the_moic() -> None:
    """The fund's return paid is 10 000 € + 15 000 € = 25 000 €; its MOIC
    (100 000 € + 25 000 €) / 100 000 € = 1.25, above the 1.1 cap."""
    schedule = run(AFTER_THE_CAP, 300_000 * EUR)
    [fund] = [line for line in schedule.final_lines() if line.investor == "fund"]
    assert fund.cumulative_return_paid == 25_000 * EUR
    metrics = schedule_metrics(schedule)
    assert metrics["fund"].moic.value == Decimal("1.25")
    assert metrics["fund"].xirr.value is not None and metrics["fund"].xirr.value > Decimal("0.2")


def test_a_fee_paid_before_the_return_does_not_eat_the_capped_return() -> None:
    """Fee before return, 240 000 €: principal 200 000 €; fee 25 % of 40 000 € =
    10 000 € (7 500 € and 2 500 €); return 20 000 € of the 30 000 € left, the full
    10 000 € each the cap allows, though the fund already had 7 500 € of fee."""
    steps = (
        Principal("junior"),
        InvestorSuccessFee("junior", Decimal("0.25")),
        Return("junior"),
        ResidualToPayer(),
    )
    schedule = run(steps, 240_000 * EUR)
    assert paid(schedule, "investor_success_fee") == {"fund": 7_500 * EUR, "bank": 2_500 * EUR}
    assert paid(schedule, "return") == {"fund": 10_000 * EUR, "bank": 10_000 * EUR}
    assert schedule.total_residual == 10_000 * EUR


def test_the_step_cap_limits_the_fee_over_the_whole_schedule() -> None:
    """Cap 30 000 €: the first 300 000 € pays 20 000 €; the next 100 000 € (everything
    is repaid and capped) would pay 25 000 €, the cap leaves 10 000 € (7 500 € and
    2 500 €)."""
    steps = (
        Principal("junior"),
        Return("junior"),
        InvestorSuccessFee("junior", Decimal("0.25"), cap=30_000 * EUR),
        ResidualToPayer(),
    )
    schedule = run(steps, 300_000 * EUR, 100_000 * EUR)
    assert paid(schedule, "investor_success_fee") == {"fund": 22_500 * EUR, "bank": 7_500 * EUR}


def test_a_guarantee_tranche_earns_no_success_fee() -> None:
    guarantee = Tranche(
        "g", TrancheKind.GUARANTEE, (Investor("g1", commitment=1),), protects="junior"
    )
    with pytest.raises(InvalidTermsError, match="no investor tranche"):
        compute_schedule(
            tranches=(JUNIOR, guarantee),
            payments=[],
            steps=(InvestorSuccessFee("g", Decimal("0.1")),),
        )


def test_the_step_round_trips_and_names_its_path() -> None:
    step = step_from_dict(
        {"kind": "investor_success_fee", "tranche": "junior", "share": "0.25", "cap": 5},
        "waterfall[2]",
    )
    assert step == InvestorSuccessFee("junior", Decimal("0.25"), cap=5)
    assert step_to_dict(step) == {
        "kind": "investor_success_fee",
        "tranche": "junior",
        "share": "0.25",
        "cap": 5,
    }
    with translation.override("en"), pytest.raises(StepError) as caught:
        step_from_dict({"kind": "investor_success_fee", "share": "0.25"}, "waterfall[2]")
    assert (caught.value.path, caught.value.message) == (
        "waterfall[2].tranche",
        "must be a non-empty string",
    )


def test_a_distribution_proposes_the_fee_on_the_investors_return_line() -> None:
    """The ledger books the fee as the investor's return: 10 000 € of return and 15 000 €
    of fee are one proposed return line of 25 000 € for the fund."""
    from payments.distributions import proposals

    rows = [
        ("return", 10_000 * EUR),
        ("investor_success_fee", 15_000 * EUR),
    ]
    document = {
        "schedule": {
            "distributions": [
                {
                    "on": "2027-01-01",
                    "step_kind": kind,
                    "tranche": "junior",
                    "recipient": "fund",
                    "amount": amount,
                }
                for kind, amount in rows
            ]
        }
    }
    assert proposals(document) == {date(2027, 1, 1): {("return", "junior", "fund"): 25_000 * EUR}}
