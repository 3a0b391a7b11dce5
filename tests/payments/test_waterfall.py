"""Tests of the waterfall steps, caps and terms validation (one payment at a time)."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from payments.engine.terms import (
    AnnualRateCap,
    Drawdown,
    Fees,
    GuaranteeReimbursement,
    InvalidTermsError,
    Investor,
    IrrCap,
    MultipleCap,
    Principal,
    ProviderSuccessFee,
    Recycle,
    ResidualToPayer,
    Return,
    Step,
    Tranche,
    TrancheKind,
)
from payments.engine.waterfall import WaterfallState, split_capped

EUR = 100  # cents per euro
START = date(2026, 1, 1)


def lender(investor_id: str, euros: int, on: date = START) -> Investor:
    return Investor(investor_id, (Drawdown(on, euros * EUR),))


def opened(tranches: tuple[Tranche, ...], steps: tuple[Step, ...]) -> WaterfallState:
    """Return a state with every drawdown already recorded."""
    state = WaterfallState.open(tranches, steps)
    for tranche in tranches:
        for i, investor in enumerate(tranche.investors):
            for drawdown in investor.drawdowns:
                state.draw(tranche.id, i, drawdown)
    return state


def paid_to(distributions: list, recipient: str) -> int:  # type: ignore[type-arg]
    return sum(d.amount for d in distributions if d.recipient == recipient)


class TestSplitCapped:
    def test_splits_pro_rata_when_nobody_is_capped(self) -> None:
        assert split_capped(90, [2, 1], [100, 100]) == [60, 30]

    def test_gives_the_excess_of_a_capped_investor_to_the_others(self) -> None:
        # Pro rata 60/30 but the first is owed only 10: it gets 10, the
        # second gets the remaining 80 (it is owed 100).
        assert split_capped(90, [2, 1], [10, 100]) == [10, 80]

    def test_pays_at_most_the_sum_of_caps(self) -> None:
        assert split_capped(1_000, [1, 1, 0], [10, 20, 50]) == [10, 20, 0]

    @given(
        amount=st.integers(min_value=0, max_value=10**9),
        rows=st.lists(
            st.tuples(st.integers(0, 10**7), st.integers(0, 10**7)), min_size=1, max_size=12
        ),
    )
    def test_never_exceeds_a_cap_and_pays_what_it_can(
        self, amount: int, rows: list[tuple[int, int]]
    ) -> None:
        weights = [w for w, _ in rows]
        caps = [c for _, c in rows]
        parts = split_capped(amount, weights, caps)
        payable = sum(c for w, c in rows if w > 0)
        assert sum(parts) == min(amount, payable)
        assert all(0 <= p <= c for p, c in zip(parts, caps, strict=True))


class TestSteps:
    def test_pays_senior_principal_before_junior(self) -> None:
        tranches = (
            Tranche("senior", TrancheKind.SENIOR_LOAN, (lender("bank", 600_000),)),
            Tranche("junior", TrancheKind.SUBORDINATED_LOAN, (lender("fund", 200_000),)),
        )
        state = opened(tranches, (Principal("senior"), Principal("junior")))
        # 700 000 €: senior takes its 600 000 €, the junior the last 100 000 €.
        out, residual = state.distribute(date(2027, 1, 1), 700_000 * EUR)
        assert paid_to(out, "bank") == 600_000 * EUR
        assert paid_to(out, "fund") == 100_000 * EUR
        assert residual == 0

    def test_caps_annual_rate_return_by_actual_days_over_365(self) -> None:
        # 100 000 € at 5% p.a. from 2026-01-01 to 2028-01-01: 730 days
        # (2026 and 2027 are not leap years) → 100 000 × 0.05 × 730/365
        # = 10 000 € of simple interest; principal then return.
        tranche = Tranche(
            "senior",
            TrancheKind.SENIOR_LOAN,
            (lender("bank", 100_000),),
            AnnualRateCap(Decimal("0.05")),
        )
        state = opened((tranche,), (Principal("senior"), Return("senior"), ResidualToPayer()))
        out, residual = state.distribute(date(2028, 1, 1), 150_000 * EUR)
        assert [(d.step_kind, d.amount) for d in out] == [
            ("principal", 100_000 * EUR),
            ("return", 10_000 * EUR),
        ]
        assert residual == 40_000 * EUR

    def test_rounds_accrued_return_half_even_once_per_payment_date(self) -> None:
        # 1 000,01 € at 5% for 73 days: 100 001 × 0.05 × 73/365 = 1 000,01
        # cents exactly → 1 000 cents; at 3% 600,006 → 600 cents. Paid
        # without principal (return step only) so the base stays put.
        tranche = Tranche(
            "t",
            TrancheKind.SENIOR_LOAN,
            (Investor("a", (Drawdown(START, 100_001),)),),
            AnnualRateCap(Decimal("0.05")),
        )
        state = opened((tranche,), (Return("t"),))
        out, _ = state.distribute(date(2026, 3, 15), 10**9)
        assert [d.amount for d in out] == [1_000]
        # The next 73 days accrue another 1 000,01 cents: total 2 000,02
        # rounds to 2 000, minus 1 000 paid = 1 000. No drift accumulates.
        out, _ = state.distribute(date(2026, 5, 27), 10**9)
        assert [d.amount for d in out] == [1_000]

    def test_accrues_on_outstanding_principal_only(self) -> None:
        # 100 000 € drawn 2026-01-01. On 2027-01-01 (365 days) 50 000 €
        # arrives: principal comes first and takes it all; 5 000 € of return
        # stays accrued. Over 2027 only 50 000 € is outstanding: another
        # 50 000 × 0.05 × 365/365 = 2 500 €. On 2028-01-01 principal takes
        # the last 50 000 €, then return 5 000 + 2 500 = 7 500 €.
        tranche = Tranche(
            "t", TrancheKind.SENIOR_LOAN, (lender("a", 100_000),), AnnualRateCap(Decimal("0.05"))
        )
        state = opened((tranche,), (Principal("t"), Return("t")))
        out, _ = state.distribute(date(2027, 1, 1), 50_000 * EUR)
        assert [(d.step_kind, d.amount) for d in out] == [("principal", 50_000 * EUR)]
        out, _ = state.distribute(date(2028, 1, 1), 10**9)
        assert [(d.step_kind, d.amount) for d in out] == [
            ("principal", 50_000 * EUR),
            ("return", 7_500 * EUR),
        ]

    def test_caps_return_at_irr(self) -> None:
        # 100 000 € on 2026-01-01, IRR cap 10%, paid on 2028-01-01 (730
        # days = 2.0 years ACT/365): at most 100 000 × 1.1² = 121 000 €,
        # i.e. principal 100 000 € and return 21 000 €.
        tranche = Tranche("t", TrancheKind.EQUITY, (lender("a", 100_000),), IrrCap(Decimal("0.10")))
        state = opened((tranche,), (Principal("t"), Return("t")))
        out, residual = state.distribute(date(2028, 1, 1), 200_000 * EUR)
        assert [d.amount for d in out] == [100_000 * EUR, 21_000 * EUR]
        assert residual == 79_000 * EUR

    def test_irr_cap_keeps_room_for_outstanding_principal(self) -> None:
        # Return before principal: after one year at a 10% IRR cap the
        # investor may have 110 000 € in all, 100 000 € of it still owed as
        # principal, so the return step pays only 10 000 €.
        tranche = Tranche("t", TrancheKind.EQUITY, (lender("a", 100_000),), IrrCap(Decimal("0.10")))
        state = opened((tranche,), (Return("t"),))
        out, _ = state.distribute(date(2027, 1, 1), 50_000 * EUR)
        assert [d.amount for d in out] == [10_000 * EUR]

    def test_caps_total_returned_at_a_multiple_of_drawn(self) -> None:
        # 1.5× on 100 000 € drawn: 150 000 € in all, so 50 000 € of return.
        tranche = Tranche(
            "t", TrancheKind.EQUITY, (lender("a", 100_000),), MultipleCap(Decimal("1.5"))
        )
        state = opened((tranche,), (Principal("t"), Return("t")))
        out, residual = state.distribute(date(2030, 1, 1), 400_000 * EUR)
        assert sum(d.amount for d in out) == 150_000 * EUR
        assert residual == 250_000 * EUR

    def test_uncapped_return_takes_everything_that_reaches_it(self) -> None:
        tranche = Tranche("t", TrancheKind.EQUITY, (lender("a", 300_000), lender("b", 100_000)))
        state = opened((tranche,), (Return("t"), ResidualToPayer()))
        out, residual = state.distribute(date(2027, 1, 1), 1_001)
        # 1 001 cents 3:1 → 750,75 and 250,25 → 751 and 250.
        assert [d.amount for d in out] == [751, 250]
        assert residual == 0

    def test_takes_fee_share_of_what_reaches_the_step_up_to_its_cap(self) -> None:
        tranche = Tranche("t", TrancheKind.SENIOR_LOAN, (lender("a", 1_000_000),))
        steps = (
            Fees("spv", share=Decimal("0.02"), cap=3_000 * EUR),
            Principal("t"),
        )
        state = opened((tranche,), steps)
        # 2% of 100 000 € = 2 000 €; next time 2% would be 2 000 € again
        # but only 1 000 € of the 3 000 € cap is left.
        out, _ = state.distribute(date(2027, 1, 1), 100_000 * EUR)
        assert paid_to(out, "spv") == 2_000 * EUR
        out, _ = state.distribute(date(2028, 1, 1), 100_000 * EUR)
        assert paid_to(out, "spv") == 1_000 * EUR
        assert paid_to(out, "a") == 99_000 * EUR

    def test_pays_fixed_fee_per_payment(self) -> None:
        tranche = Tranche("t", TrancheKind.SENIOR_LOAN, (lender("a", 1_000_000),))
        state = opened((tranche,), (Fees("auditor", amount=5_000 * EUR), Principal("t")))
        out, _ = state.distribute(date(2027, 1, 1), 3_000 * EUR)
        # Only 3 000 € arrived: the fee takes it all, nothing reaches "a".
        assert [(d.recipient, d.amount) for d in out] == [("auditor", 3_000 * EUR)]

    def test_recycles_up_to_the_limit_then_passes_money_on(self) -> None:
        tranche = Tranche("t", TrancheKind.SENIOR_LOAN, (lender("a", 1_000_000),))
        state = opened((tranche,), (Recycle(limit=150_000 * EUR), Principal("t")))
        out, _ = state.distribute(date(2027, 1, 1), 100_000 * EUR)
        assert paid_to(out, "programme") == 100_000 * EUR
        out, _ = state.distribute(date(2027, 6, 1), 100_000 * EUR)
        assert paid_to(out, "programme") == 50_000 * EUR
        assert paid_to(out, "a") == 50_000 * EUR

    def test_pays_provider_success_fee_share_of_surplus(self) -> None:
        tranche = Tranche("t", TrancheKind.SENIOR_LOAN, (lender("a", 100_000),))
        steps = (Principal("t"), ProviderSuccessFee(Decimal("0.25")), ResidualToPayer())
        state = opened((tranche,), steps)
        # 140 000 €: principal 100 000 €, 25% of the 40 000 € left = 10 000 €.
        out, residual = state.distribute(date(2027, 1, 1), 140_000 * EUR)
        assert paid_to(out, "provider") == 10_000 * EUR
        assert residual == 30_000 * EUR


class TestValidateTerms:
    def senior(self) -> Tranche:
        return Tranche("senior", TrancheKind.SENIOR_LOAN, (lender("bank", 1),))

    def test_rejects_step_on_unknown_tranche(self) -> None:
        with pytest.raises(InvalidTermsError, match="unknown tranche"):
            WaterfallState.open((self.senior(),), (Principal("junior"),))

    def test_rejects_residual_step_that_is_not_last(self) -> None:
        with pytest.raises(InvalidTermsError, match="last"):
            WaterfallState.open((self.senior(),), (ResidualToPayer(), Principal("senior")))

    def test_rejects_guarantee_reimbursement_of_a_loan(self) -> None:
        with pytest.raises(InvalidTermsError, match="not a guarantee"):
            WaterfallState.open((self.senior(),), (GuaranteeReimbursement("senior"),))

    def test_rejects_guarantee_of_unknown_tranche(self) -> None:
        guarantee = Tranche(
            "g", TrancheKind.GUARANTEE, (Investor("f", commitment=1),), protects="nope"
        )
        with pytest.raises(InvalidTermsError, match="protects"):
            WaterfallState.open((self.senior(), guarantee), ())

    def test_rejects_float_drawdown(self) -> None:
        tranche = Tranche(
            "t",
            TrancheKind.EQUITY,
            (Investor("a", (Drawdown(START, 1.5),)),),  # type: ignore[arg-type]
        )
        with pytest.raises(InvalidTermsError):
            WaterfallState.open((tranche,), ())

    def test_rejects_fees_with_both_amount_and_share(self) -> None:
        with pytest.raises(InvalidTermsError, match="exactly one"):
            WaterfallState.open((self.senior(),), (Fees("spv", amount=1, share=Decimal("0.1")),))

    def test_rejects_negative_payment(self) -> None:
        state = WaterfallState.open((self.senior(),), (Principal("senior"),))
        with pytest.raises(InvalidTermsError):
            state.distribute(START, -1)
