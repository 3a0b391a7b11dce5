"""A coupon on investors' principal, banded on a restoration rate measured each year.

Terms of the worked example: 10 000 000,00 drawn on 1 January 2025, the programme's
start; bands 55-60 % 3 %, 60-65 % 7.5 %, 65-70 % 12 %, 70 % or more 15 %; at least 2 %
in the first 2 years. Coupon years 2025, 2026 and 2027 have 365 days each.
"""

from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from django.utils import translation

from outcomes.rule_json import RuleError
from payments.engine.coupon import CouponCap, measured_by_year
from payments.engine.schedule import PaymentReceived, compute_schedule
from payments.engine.terms import (
    AnnualRateCap,
    Drawdown,
    Investor,
    Principal,
    ResidualToPayer,
    Return,
    Tranche,
    TrancheKind,
)

START = date(2025, 1, 1)
PRINCIPAL = 1_000_000_000  # 10 000 000,00 in cents
TERMS = {
    "metric": "restoration",
    "bands": [
        {"min_rate": "0.55", "max_rate": "0.60", "rate": "0.03"},
        {"min_rate": "0.60", "max_rate": "0.65", "rate": "0.075"},
        {"min_rate": "0.65", "max_rate": "0.70", "rate": "0.12"},
        {"min_rate": "0.70", "max_rate": None, "rate": "0.15"},
    ],
    "minimum_rate": "0.02",
    "minimum_years": 2,
}


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    # The refusals are asserted as written in English (programme_load's language); the
    # French default translates them (tests/sib/test_programme_format_languages.py).
    with translation.override("en"):
        yield


def coupon_returns(measured: tuple[Decimal | None, ...], payments: list[date]) -> list[int]:
    """Return the coupon paid at each date (enough money each time; principal not repaid)."""
    cap = CouponCap.from_dict(TERMS, "coupon")
    cap = CouponCap(cap.metric, cap.bands, cap.minimum_rate, cap.minimum_years, START, measured)
    tranche = Tranche(
        "bond",
        TrancheKind.SENIOR_LOAN,
        (Investor("bank", (Drawdown(START, PRINCIPAL),), PRINCIPAL),),
        cap=cap,
    )
    schedule = compute_schedule(
        tranches=[tranche],
        payments=[PaymentReceived(on, 10 * PRINCIPAL) for on in payments],
        steps=[Return("bond"), ResidualToPayer()],
    )
    return [d.amount for d in schedule.distributions]


def test_each_year_pays_the_band_of_its_measured_rate_or_the_minimum_in_the_first_years():
    """Year 1 measured 72 %: 15 % x 10 000 000,00 x 365/365 = 1 500 000,00.
    Year 2 measured 50 %, below every band, in the first 2 years: the minimum 2 % =
    200 000,00. Year 3 measured 50 %, after the minimum years: 0."""
    measured = (Decimal("0.72"), Decimal("0.50"), Decimal("0.50"))
    paid = coupon_returns(measured, [date(2026, 1, 1), date(2027, 1, 1), date(2028, 1, 1)])
    assert paid == [150_000_000, 20_000_000]


def test_a_band_includes_its_lower_bound_and_excludes_its_upper_bound():
    """70 % exactly is in the 15 % band; 69.99 % in the 12 % band: 1 500 000,00 then
    1 200 000,00."""
    measured = (Decimal("0.70"), Decimal("0.6999"))
    paid = coupon_returns(measured, [date(2026, 1, 1), date(2027, 1, 1)])
    assert paid == [150_000_000, 120_000_000]


def test_a_year_not_measured_yet_earns_only_the_minimum_and_an_unpaid_coupon_carries():
    """Nothing measured: year 1 earns the minimum 2 % = 200 000,00, paid on 1 July 2026
    with half of year 2 (181 days of 2026): 10 000 000,00 x 2 % x 181/365 = 99 178,082...
    -> 99 178,08; together 299 178,08."""
    assert coupon_returns((), [date(2026, 7, 1)]) == [29_917_808]


def test_a_year_straddling_payment_takes_each_years_rate_for_its_days():
    """Paid on 1 July 2025 and 1 July 2026: 181 days of year 1 at 15 % =
    10 000 000,00 x 0,15 x 181/365 = 743 835,616... -> 743 835,62; then 184 days of year 1
    at 15 % and 181 days of year 2 at 7.5 % (61 %): 756 164,383... + 371 917,808... =
    1 128 082,191... -> total accrued 1 871 917,81, less 743 835,62 paid: 1 128 082,19."""
    measured = (Decimal("0.72"), Decimal("0.61"))
    assert coupon_returns(measured, [date(2025, 7, 1), date(2026, 7, 1)]) == [
        74_383_562,
        112_808_219,
    ]


def test_results_are_matched_to_the_coupon_year_their_period_ends_in_and_pooled():
    """Periods ending 31 December 2025 are year 1: 40 of 50 and 32 of 50 pool to 72 of
    100 = 0.72; a period ending 31 December 2026 is year 2; year 3 is not measured."""
    results = [
        (date(2025, 12, 31), 40, 50),
        (date(2025, 12, 31), 32, 50),
        (date(2026, 12, 31), 1, 2),
    ]
    assert measured_by_year(START, results, 3) == (Decimal("0.7200"), Decimal("0.5000"), None)


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"bands": []}, "coupon.bands"),
        ({"minimum_years": None}, "coupon"),
        ({"minimum_rate": "1.5"}, "coupon.minimum_rate"),
        (
            {"bands": [{"min_rate": "0.7", "max_rate": None, "rate": "-0.1"}]},
            "coupon.bands[0].rate",
        ),
        (
            {
                "bands": [
                    {"min_rate": "0.6", "max_rate": "0.7", "rate": "0.15"},
                    {"min_rate": "0.7", "max_rate": None, "rate": "0.12"},
                ]
            },
            "coupon.bands[1].rate",
        ),
        (
            {
                "bands": [
                    {"min_rate": "0.6", "max_rate": "0.65", "rate": "0.1"},
                    {"min_rate": "0.7", "max_rate": None, "rate": "0.12"},
                ]
            },
            "coupon.bands[1].min_rate",
        ),
        ({"cap": "0.05"}, "coupon.cap"),
    ],
)
def test_coupon_terms_that_do_not_describe_a_coupon_are_refused_naming_the_path(change, path):
    with pytest.raises(RuleError) as error:
        CouponCap.from_dict({**TERMS, **change}, "coupon")
    assert error.value.path == path


def test_a_top_coupon_band_ending_below_100_percent_is_refused():
    """Bands up to 65-70 % 12 % only: a year measured at 75 % would earn no coupon, less
    than a year at 66 %. The top band's max_rate must be null, up to 100 %."""
    with pytest.raises(RuleError) as error:
        CouponCap.from_dict({**TERMS, "bands": TERMS["bands"][:3]}, "coupon")
    assert error.value.path == "coupon.bands[2].max_rate"
    assert error.value.message == "leave it null: the top band runs to 100 %"


def test_the_terms_read_back_as_written():
    cap = CouponCap.from_dict(TERMS, "coupon")
    assert CouponCap.from_dict(cap.to_dict(), "coupon") == cap
    assert cap.to_dict()["bands"][3] == {"min_rate": "0.70", "max_rate": None, "rate": "0.15"}


def test_a_coupon_in_one_band_every_year_pays_what_the_same_annual_rate_cap_pays():
    """Measured at 72 % each year, the coupon is 15 % a year: the same money, to the cent,
    as an annual_rate cap of 15 % (simple, ACT/365, leap year 2028 included), whatever
    the payment dates and principal repaid between them."""
    drawn = (Drawdown(START, PRINCIPAL), Drawdown(date(2026, 3, 17), 333_333_333))
    payments = [
        PaymentReceived(date(2025, 8, 9), 50_000_000),
        PaymentReceived(date(2026, 12, 30), 400_000_000),
        PaymentReceived(date(2028, 2, 29), 70_000_000),
        PaymentReceived(date(2029, 6, 1), 900_000_000),
    ]
    steps = [Return("bond"), Principal("bond"), ResidualToPayer()]
    coupon = replace(CouponCap.from_dict(TERMS, "coupon"), start=START)
    coupon = replace(coupon, measured=(Decimal("0.72"),) * 5)

    def returns(cap: CouponCap | AnnualRateCap) -> list[tuple[date, str, int]]:
        tranche = Tranche(
            "bond", TrancheKind.SENIOR_LOAN, (Investor("bank", drawn, PRINCIPAL),), cap=cap
        )
        schedule = compute_schedule(
            tranches=[tranche], payments=payments, steps=steps, end_date=date(2029, 12, 31)
        )
        return [(d.on, d.step_kind, d.amount) for d in schedule.distributions]

    assert returns(coupon) == returns(AnnualRateCap(Decimal("0.15")))


def test_a_leap_coupon_year_counts_366_days_and_nothing_accrues_after_the_end_date():
    """Started 1 January 2028 (366 days): 15 % x 10 000 000,00 x 366/365 = 1 504 109,589...
    -> 1 504 109,59. Ended 30 June 2029 and paid on 1 January 2030: year 2 (measured 61 %,
    7.5 %) counts only the 180 days to the end: 10 000 000,00 x 0.075 x 180/365 =
    369 863,013... -> 369 863,01."""
    start = date(2028, 1, 1)
    cap = replace(
        CouponCap.from_dict(TERMS, "coupon"),
        start=start,
        measured=(Decimal("0.72"), Decimal("0.61")),
    )
    tranche = Tranche(
        "bond",
        TrancheKind.SENIOR_LOAN,
        (Investor("bank", (Drawdown(start, PRINCIPAL),), PRINCIPAL),),
        cap=cap,
    )
    schedule = compute_schedule(
        tranches=[tranche],
        payments=[
            PaymentReceived(date(2029, 1, 1), PRINCIPAL),
            PaymentReceived(date(2030, 1, 1), PRINCIPAL),
        ],
        steps=[Return("bond"), ResidualToPayer()],
        end_date=date(2029, 6, 30),
    )
    assert [d.amount for d in schedule.distributions] == [150_410_959, 36_986_301]
