"""Tests of investor metrics: XIRR with an explicit status, MOIC, DPI, categories."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from payments.engine.metrics import (
    RepaymentCategory,
    XirrStatus,
    dpi,
    moic,
    repayment_category,
    schedule_metrics,
    xirr,
)
from payments.engine.schedule import PaymentReceived, compute_schedule
from payments.engine.terms import Drawdown, Investor, Principal, Tranche, TrancheKind

D0 = date(2026, 1, 1)
D1 = date(2027, 1, 1)  # 365 days later
D2 = date(2028, 1, 1)  # 730 days later


class TestXirr:
    def test_finds_ten_percent_over_one_year(self) -> None:
        # −100 000 € then +110 000 € 365 days later: (1 + r)^1 = 1.1.
        result = xirr([(D0, -10_000_000), (D1, 11_000_000)])
        assert result.status is XirrStatus.OK
        assert result.value == Decimal("0.100000")

    def test_finds_ten_percent_over_two_years(self) -> None:
        # 121 000 € after 730 days = 2.0 years ACT/365: 1.1² = 1.21.
        assert xirr([(D0, -10_000_000), (D2, 12_100_000)]).value == Decimal("0.100000")

    def test_finds_negative_rate_for_partial_repayment(self) -> None:
        # Half the money back after a year: r = −50%.
        assert xirr([(D0, -10_000_000), (D1, 5_000_000)]).value == Decimal("-0.500000")

    def test_says_no_rate_when_nothing_returned(self) -> None:
        result = xirr([(D0, -10_000_000)])
        assert result == result.__class__(None, XirrStatus.NO_RATE, "nothing returned yet")

    def test_says_no_rate_without_drawdown(self) -> None:
        result = xirr([(D1, 5_000_000)])
        assert result.status is XirrStatus.NO_RATE
        assert result.value is None

    def test_says_not_converged_rather_than_a_wrong_number(self) -> None:
        # Everything back the same day plus a huge gain: no finite IRR fits
        # (the rate would be infinite).
        result = xirr([(D0, -1), (D0, 10**12)])
        assert result.status is XirrStatus.NOT_CONVERGED
        assert result.value is None
        assert result.reason

    def test_warns_when_flows_change_sign_more_than_once(self) -> None:
        # −100, +230, −132 a year apart: roots at 10% and 20%.
        flows = [(D0, -10_000), (D1, 23_000), (D2, -13_200)]
        result = xirr(flows)
        assert result.status is XirrStatus.OK
        assert result.value in (Decimal("0.100000"), Decimal("0.200000"))
        assert "more than once" in result.reason

    @given(
        drawn=st.integers(min_value=1, max_value=10**10),
        returned=st.integers(min_value=1, max_value=10**10),
        days=st.integers(min_value=30, max_value=3650),
    )
    def test_rate_is_ok_or_explicitly_absent(self, drawn: int, returned: int, days: int) -> None:
        later = date.fromordinal(D0.toordinal() + days)
        result = xirr([(D0, -drawn), (later, returned)])
        if result.status is XirrStatus.OK:
            assert result.value is not None
            # (1 + r)^(days/365) = returned / drawn, solved independently;
            # the value is that rate to its 1e-6 quantum.
            exact = (returned / drawn) ** (365 / days) - 1
            assert float(result.value) == pytest.approx(exact, rel=1e-9, abs=6e-7)
        else:
            assert result.value is None and result.reason


class TestRatios:
    def test_moic_and_dpi_divide_returned_by_drawn(self) -> None:
        # 1 150 000 € back on 1 000 000 € drawn: 1.15.
        assert moic(drawn=100_000_000, returned=115_000_000).value == Decimal("1.1500")
        assert dpi(drawn=100_000_000, returned=115_000_000).value == Decimal("1.1500")

    def test_moic_counts_unrealised_value(self) -> None:
        assert moic(drawn=300, returned=100, unrealised=200).value == Decimal("1.0000")

    def test_quantises_half_even(self) -> None:
        # 2/3 = 0.66666… → 0.6667; 1.00005 → 1.0000 (half to even).
        assert dpi(drawn=3, returned=2).value == Decimal("0.6667")
        assert dpi(drawn=100_000, returned=100_005).value == Decimal("1.0000")

    def test_gives_none_with_reason_when_nothing_drawn(self) -> None:
        ratio = dpi(drawn=0, returned=0)
        assert ratio.value is None
        assert ratio.reason == "no capital drawn"


class TestRepaymentCategory:
    @pytest.mark.parametrize(
        ("returned", "category"),
        [
            (0, RepaymentCategory.NONE),
            (1, RepaymentCategory.SOME),
            (99_999, RepaymentCategory.SOME),
            (100_000, RepaymentCategory.PRINCIPAL),
            (100_001, RepaymentCategory.PRINCIPAL_PLUS_RETURN),
        ],
    )
    def test_places_investor_by_what_came_back(
        self, returned: int, category: RepaymentCategory
    ) -> None:
        assert repayment_category(drawn=100_000, returned=returned) is category

    def test_has_no_category_when_nothing_drawn(self) -> None:
        assert repayment_category(drawn=0, returned=0) is None


def test_schedule_metrics_joins_an_investors_tranches() -> None:
    # The same bank lends 100 000 € senior and 50 000 € junior on D0; one
    # payment of 120 000 € on D1 repays the senior and 20 000 € of the junior:
    # drawn 150 000 €, returned 120 000 € → DPI 0.8, "some", XIRR −20%.
    tranches = (
        Tranche(
            "senior", TrancheKind.SENIOR_LOAN, (Investor("bank", (Drawdown(D0, 10_000_000),)),)
        ),
        Tranche(
            "junior", TrancheKind.SUBORDINATED_LOAN, (Investor("bank", (Drawdown(D0, 5_000_000),)),)
        ),
    )
    schedule = compute_schedule(
        tranches=tranches,
        payments=[PaymentReceived(D1, 12_000_000)],
        steps=(Principal("senior"), Principal("junior")),
    )
    metrics = schedule_metrics(schedule)["bank"]
    assert (metrics.drawn, metrics.returned) == (15_000_000, 12_000_000)
    assert metrics.dpi.value == Decimal("0.8000")
    assert metrics.category is RepaymentCategory.SOME
    assert metrics.xirr.value == Decimal("-0.200000")
