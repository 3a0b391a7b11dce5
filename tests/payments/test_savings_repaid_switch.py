"""A savings share that switches when the investors' principal is actually repaid
(``payment_terms.savings_switch = "repaid"``), and the date the schedule repays it.

Amounts are cents. The payer pays 60 % of public cost avoided until the principal is
repaid, then 20 %: a result achieved on or before the repayment date D pays 60 % of its
cost avoided, a result achieved after D pays 20 %; no result is split.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from payments.engine.schedule import PaymentReceived, compute_schedule, principal_repaid_on
from payments.engine.terms import (
    AnnualRateCap,
    Drawdown,
    Investor,
    Principal,
    Return,
    Tranche,
    TrancheKind,
)
from payments.rules import ProgrammeRules, SavingsResult, compute_outcome_payments
from payments.rules.savings_share import RepaidOn

EUR = 100


def savings_rules(before: str = "60", after: str = "20") -> ProgrammeRules:
    return ProgrammeRules.from_dict(
        {
            "currency": "EUR",
            "payers": [{"payer": "state", "share_percent": "100"}],
            "metrics": [
                {
                    "code": "care_avoided",
                    "mechanism": {
                        "kind": "savings_share",
                        "share_before_percent": before,
                        "share_after_percent": after,
                    },
                }
            ],
        }
    )


def saving(rid: str, cost_avoided: int, on: date) -> SavingsResult:
    return SavingsResult(rid, "care_avoided", "all", str(on.year), on, cost_avoided)


RESULTS = [
    saving("s1", 400_000 * EUR, date(2027, 6, 30)),
    saving("s2", 300_000 * EUR, date(2028, 6, 30)),
    saving("s3", 100_000 * EUR, date(2029, 6, 30)),
]


def amounts(repaid_on: date | None) -> list[tuple[str, int, Decimal]]:
    plan = compute_outcome_payments(
        rules=savings_rules(), savings_results=RESULTS, repayment_target=RepaidOn(repaid_on)
    )
    return [(line.period, line.amount, line.share_percent) for line in plan.lines]


def test_a_result_achieved_on_the_repayment_date_still_pays_the_first_share() -> None:
    """D = 2028-06-30: 60 % x 400 000 € = 240 000 €; 60 % x 300 000 € = 180 000 € (on
    D itself); 20 % x 100 000 € = 20 000 € (after D)."""
    assert amounts(date(2028, 6, 30)) == [
        ("2027", 240_000 * EUR, Decimal(60)),
        ("2028", 180_000 * EUR, Decimal(60)),
        ("2029", 20_000 * EUR, Decimal(20)),
    ]


def test_before_the_principal_is_repaid_every_result_pays_the_first_share() -> None:
    """Not repaid (D = None): 240 000 € + 180 000 € + 60 000 €, whatever was paid."""
    assert [amount for _, amount, _ in amounts(None)] == [
        240_000 * EUR,
        180_000 * EUR,
        60_000 * EUR,
    ]


def test_a_result_is_never_split_at_the_switch() -> None:
    """D = 2027-06-30: 240 000 €, then 20 % x 300 000 € = 60 000 € and 20 000 €: one
    line per result, unlike the fixed target that splits the result crossing it."""
    assert amounts(date(2027, 6, 30)) == [
        ("2027", 240_000 * EUR, Decimal(60)),
        ("2028", 60_000 * EUR, Decimal(20)),
        ("2029", 20_000 * EUR, Decimal(20)),
    ]


def lender(*drawdowns: tuple[date, int]) -> Tranche:
    draws = tuple(Drawdown(on, amount) for on, amount in drawdowns)
    return Tranche("senior", TrancheKind.SENIOR_LOAN, (Investor("bank", draws),))


def repaid_on(tranche: Tranche, *payments: tuple[date, int]) -> date | None:
    schedule = compute_schedule(
        tranches=(tranche,),
        payments=[PaymentReceived(on, amount) for on, amount in payments],
        steps=(Principal("senior"),),
    )
    return principal_repaid_on(schedule, (tranche,))


def test_the_principal_is_repaid_on_the_payment_that_brings_it_to_nothing() -> None:
    """100 000 € drawn; 60 000 € on 2026-06-30 leaves 40 000 €; 50 000 € on 2026-12-31
    repays it: D = 2026-12-31."""
    tranche = lender((date(2026, 1, 1), 100_000 * EUR))
    paid = ((date(2026, 6, 30), 60_000 * EUR), (date(2026, 12, 31), 50_000 * EUR))
    assert repaid_on(tranche, *paid) == date(2026, 12, 31)
    assert repaid_on(tranche, paid[0]) is None


def test_the_date_counts_from_the_last_drawdown() -> None:
    """100 000 € repaid on 2026-12-31, then 10 000 € more drawn on 2027-03-01 and repaid
    on 2027-06-30: D = 2027-06-30, the first date after the last drawdown with nothing
    outstanding."""
    tranche = lender((date(2026, 1, 1), 100_000 * EUR), (date(2027, 3, 1), 10_000 * EUR))
    paid = ((date(2026, 12, 31), 100_000 * EUR), (date(2027, 6, 30), 10_000 * EUR))
    assert repaid_on(tranche, *paid) == date(2027, 6, 30)


START = date(2026, 1, 1)
days = st.integers(0, 5 * 365).map(lambda n: START + timedelta(days=n))


@settings(max_examples=100, deadline=None)
@given(
    results=st.lists(st.tuples(days, st.integers(1, 10_000_000 * EUR)), max_size=8),
    drawdowns=st.lists(st.tuples(days, st.integers(1, 2_000_000 * EUR)), min_size=1, max_size=3),
    before=st.integers(1, 100),
    after=st.integers(0, 100),
)
def test_pricing_with_the_repayment_date_repays_on_the_same_date(
    results: list[tuple[date, int]],
    drawdowns: list[tuple[date, int]],
    before: int,
    after: int,
) -> None:
    """The two passes of the projections agree: price every result at the first share,
    pay each claim on its date, read D; price again with D: the schedule repays on D."""
    rules = savings_rules(str(before), str(after))
    # Each result its own period, named by its date: a line's date is its period.
    savings = [
        SavingsResult(f"s{i}", "care_avoided", "all", on.isoformat(), on, cost)
        for i, (on, cost) in enumerate(results)
    ]
    draws = tuple(Drawdown(on, amount) for on, amount in drawdowns)
    tranche = Tranche(
        "senior",
        TrancheKind.SENIOR_LOAN,
        (Investor("bank", draws),),
        cap=AnnualRateCap(Decimal("0.05")),
    )

    def repayment(on: date | None) -> date | None:
        plan = compute_outcome_payments(
            rules=rules, savings_results=savings, repayment_target=RepaidOn(on)
        )
        by_date: dict[date, int] = defaultdict(int)
        for line in plan.lines:
            by_date[date.fromisoformat(line.period)] += line.amount
        schedule = compute_schedule(
            tranches=(tranche,),
            payments=[PaymentReceived(d, a) for d, a in sorted(by_date.items())],
            steps=(Principal("senior"), Return("senior")),
        )
        return principal_repaid_on(schedule, (tranche,))

    first = repayment(None)
    assert repayment(first) == first
