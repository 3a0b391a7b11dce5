"""Tests of sib.money: the allocator, conversions and formatting."""

from decimal import ROUND_DOWN, Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sib.money import (
    SubMinorUnitError,
    UnknownCurrencyError,
    allocate,
    format_money,
    from_minor,
    to_minor,
)

NNBSP = "\u202f"
NBSP = "\u00a0"


class TestAllocate:
    def test_splits_senior_tranche_pro_rata_by_drawn_capital(self) -> None:
        # Bank drew 600 000 €, foundation 300 000 €: 100 000.01 € splits 2:1.
        # Exact shares 6 666 667.333… and 3 333 333.666… cents; floors sum to
        # 10 000 000, one cent left goes to the larger remainder (.666…).
        assert allocate(10_000_001, [60_000_000, 30_000_000]) == [6_666_667, 3_333_334]

    def test_breaks_equal_remainders_by_earlier_index(self) -> None:
        # 1 cent over three equal weights: remainders tie, index 0 wins.
        assert allocate(1, [1, 1, 1]) == [1, 0, 0]
        assert allocate(2, [1, 1, 1]) == [1, 1, 0]

    def test_gives_zero_weights_nothing(self) -> None:
        assert allocate(5, [0, 1, 0, 1]) == [0, 3, 0, 2]

    def test_rejects_all_zero_weights(self) -> None:
        with pytest.raises(ValueError, match="all zero"):
            allocate(100, [0, 0])

    def test_rejects_empty_weights(self) -> None:
        with pytest.raises(ValueError):
            allocate(100, [])

    def test_rejects_negative_weight(self) -> None:
        with pytest.raises(ValueError, match="negative"):
            allocate(100, [1, -1])

    def test_rejects_float_total_and_float_weight(self) -> None:
        with pytest.raises(TypeError):
            allocate(1.0, [1])  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            allocate(100, [0.5, Decimal(1)])  # type: ignore[list-item]

    def test_splits_negative_total_symmetrically(self) -> None:
        assert allocate(-10_000_001, [2, 1]) == [-6_666_667, -3_333_334]

    def test_accepts_decimal_weights_exactly(self) -> None:
        # 70% / 30% co-payers of a 1 000,01 € outcome payment: 700,007 and
        # 300,003 → 70 000 and 30 000 cents plus the odd cent to .7 (payer 1).
        assert allocate(100_001, [Decimal("0.7"), Decimal("0.3")]) == [70_001, 30_000]

    def test_shows_alabama_paradox_documented_limit(self) -> None:
        # Weights 6:6:2. 10 cents: quotas 4.29, 4.29, 1.43 → 4, 4, 2.
        # 11 cents: quotas 4.71, 4.71, 1.57 → 5, 5, 1. The last part shrinks.
        assert allocate(10, [6, 6, 2]) == [4, 4, 2]
        assert allocate(11, [6, 6, 2]) == [5, 5, 1]

    @given(
        total=st.integers(min_value=-(10**12), max_value=10**12),
        weights=st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=30).filter(
            any
        ),
    )
    def test_parts_sum_to_total_within_one_unit_of_exact_share(
        self, total: int, weights: list[int]
    ) -> None:
        parts = allocate(total, weights)
        assert sum(parts) == total
        weight_sum = sum(weights)
        for part, weight in zip(parts, weights, strict=True):
            assert abs(Fraction(part) - Fraction(total * weight, weight_sum)) < 1
            if weight == 0:
                assert part == 0

    @given(
        total=st.integers(min_value=0, max_value=10**10),
        weights=st.lists(st.integers(min_value=1, max_value=10**6), min_size=1, max_size=10),
    )
    def test_is_deterministic_and_independent_of_weight_scale(
        self, total: int, weights: list[int]
    ) -> None:
        assert allocate(total, weights) == allocate(total, [w * 7 for w in weights])
        assert allocate(total, weights) == allocate(total, [Decimal(w) / 100 for w in weights])


class TestToMinor:
    def test_converts_euros_to_cents(self) -> None:
        assert to_minor("1234.56", "EUR") == 123_456
        assert to_minor(Decimal("-0.01"), "EUR") == -1

    def test_uses_currency_exponent(self) -> None:
        assert to_minor("1234", "JPY") == 1234
        with pytest.raises(SubMinorUnitError):
            to_minor("1234.5", "JPY")

    def test_rejects_sub_cent_unless_rounding_asked(self) -> None:
        with pytest.raises(SubMinorUnitError):
            to_minor("0.005", "EUR")
        # Half-even: 0.005 → 0.00, 0.015 → 0.02, 0.025 → 0.02.
        assert to_minor("0.005", "EUR", allow_rounding=True) == 0
        assert to_minor("0.015", "EUR", allow_rounding=True) == 2
        assert to_minor("0.025", "EUR", allow_rounding=True) == 2
        assert to_minor("0.029", "EUR", allow_rounding=True, rounding=ROUND_DOWN) == 2

    def test_rejects_float_nan_and_unknown_currency(self) -> None:
        with pytest.raises(TypeError):
            to_minor(1.1, "EUR")  # type: ignore[arg-type]
        with pytest.raises(ValueError):
            to_minor("NaN", "EUR")
        with pytest.raises(ValueError):
            to_minor("douze", "EUR")
        with pytest.raises(UnknownCurrencyError):
            to_minor("1", "XXX")

    @given(st.integers(min_value=-(10**15), max_value=10**15))
    def test_round_trips_through_from_minor(self, minor: int) -> None:
        assert to_minor(from_minor(minor, "EUR"), "EUR") == minor


class TestFromMinor:
    def test_keeps_the_minor_unit_exponent(self) -> None:
        assert str(from_minor(123_456, "EUR")) == "1234.56"
        assert str(from_minor(0, "EUR")) == "0.00"
        assert str(from_minor(-5, "EUR")) == "-0.05"
        assert str(from_minor(1234, "JPY")) == "1234"


class TestFormatMoney:
    def test_formats_french_with_narrow_no_break_spaces(self) -> None:
        assert format_money(123_456, "EUR", "fr") == f"1{NNBSP}234,56{NBSP}€"
        assert format_money(123_456_789_00, "EUR", "fr-FR") == f"123{NNBSP}456{NNBSP}789,00{NBSP}€"

    def test_formats_english(self) -> None:
        assert format_money(123_456, "EUR", "en") == "€1,234.56"
        assert format_money(5, "USD", "en") == "$0.05"
        assert format_money(123_456, "JPY", "en") == "¥123,456"

    def test_formats_negative_amounts(self) -> None:
        assert format_money(-123_456, "EUR", "fr") == f"-1{NNBSP}234,56{NBSP}€"
        assert format_money(-123_456, "EUR", "en") == "-€1,234.56"
        assert format_money(-1, "EUR", "en") == "-€0.01"

    def test_formats_small_and_zero_amounts(self) -> None:
        assert format_money(0, "EUR", "fr") == f"0,00{NBSP}€"
        assert format_money(99_999, "EUR", "en") == "€999.99"

    def test_rejects_unknown_language(self) -> None:
        with pytest.raises(ValueError):
            format_money(1, "EUR", "de")
