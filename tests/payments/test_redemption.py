"""Principal redemption at maturity: 100 % back at or above a rate, else at least a floor.

Terms of the worked examples: a junior loan of 100 000,00 € (10 000 000 c) drawn on
1 January 2026, 60 000,00 € by "bank" and 40 000,00 € by "fund" (their commitments);
maturity 31 December 2030; 100 % back when the rate at maturity is at least 60 %, else a
50 % floor; the payer "departement" owes what the waterfall has not repaid.
"""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from outcomes.rule_json import RuleError
from payments.engine.redemption import (
    Redemption,
    RedemptionTerms,
    programme_year,
    rate_at_maturity,
    redemption_owed,
)
from payments.engine.schedule import PaymentReceived, compute_schedule
from payments.engine.terms import (
    AnnualRateCap,
    Drawdown,
    GuaranteeReimbursement,
    InvalidTermsError,
    Investor,
    Principal,
    ResidualToPayer,
    Return,
    Tranche,
    TrancheKind,
)

START = date(2026, 1, 1)
MATURITY = date(2030, 12, 31)
TERMS = {
    "maturity": "2030-12-31",
    "metric": "restoration",
    "full_at_rate": "0.60",
    "floor_percent": "50",
    "payer": "departement",
}


def loan(bank: int = 6_000_000, fund: int = 4_000_000, cap: AnnualRateCap | None = None):
    return Tranche(
        "junior",
        TrancheKind.SUBORDINATED_LOAN,
        (
            Investor("bank", (Drawdown(START, bank),), 6_000_000),
            Investor("fund", (Drawdown(START, fund),), 4_000_000),
        ),
        cap=cap,
    )


def redeemed(rate: str | None, payments: list[PaymentReceived], **kwargs):
    """The schedule of the loan redeemed at maturity at the percent ``rate`` gives."""
    terms = RedemptionTerms.from_dict(TERMS, "redemption")
    measured = None if rate is None else Decimal(rate)
    redemption = Redemption("junior", MATURITY, terms.percent(measured), "departement", measured)
    return compute_schedule(
        tranches=[kwargs.pop("tranche", loan())],
        payments=payments,
        steps=[Principal("junior"), ResidualToPayer()],
        redemptions=[redemption],
        **kwargs,
    )


def test_at_or_above_the_rate_the_payer_tops_principal_up_to_100_percent():
    """Rate 62 % >= 60 %: 100 % of 10 000 000 c = 10 000 000 c owed; the waterfall repaid
    30 % = 3 000 000 c, the payer owes 7 000 000 c, split by commitment 60/40:
    bank 4 200 000, fund 2 800 000."""
    schedule = redeemed("0.62", [PaymentReceived(date(2027, 6, 30), 3_000_000)])
    [payment] = schedule.redemptions
    assert (payment.percent, payment.owed, payment.repaid, payment.amount) == (
        "100",
        10_000_000,
        3_000_000,
        7_000_000,
    )
    assert payment.paid_to == (("bank", 4_200_000), ("fund", 2_800_000))
    assert [line.outstanding_principal for line in schedule.final_lines()] == [0, 0]


def test_below_the_rate_the_floor_less_what_the_waterfall_repaid():
    """Rate 48 % < 60 %: the 50 % floor, 5 000 000 c; the waterfall repaid 30 %,
    3 000 000 c: the payer owes 20 % of principal, 2 000 000 c (bank 1 200 000, fund
    800 000); 5 000 000 c stays outstanding."""
    schedule = redeemed("0.48", [PaymentReceived(date(2027, 6, 30), 3_000_000)])
    [payment] = schedule.redemptions
    assert (payment.rate, payment.percent, payment.amount) == ("0.48", "50", 2_000_000)
    assert payment.paid_to == (("bank", 1_200_000), ("fund", 800_000))
    assert sum(line.outstanding_principal for line in schedule.final_lines()) == 5_000_000
    assert schedule.to_json_dict()["redemptions"][0]["amount"] == 2_000_000


def test_exactly_at_the_rate_is_at_or_above_it():
    """60.00 % measured meets "full_at_rate": "0.60": 100 %."""
    assert RedemptionTerms.from_dict(TERMS, "r").percent(Decimal("0.6000")) == 100


def test_nothing_measured_by_maturity_is_the_floor():
    """No result ends by maturity: 50 %, 5 000 000 c, all owed by the payer."""
    assert rate_at_maturity(MATURITY, [(date(2031, 12, 31), 90, 100)]) is None
    [payment] = redeemed(None, []).redemptions
    assert (payment.rate, payment.amount) == (None, 5_000_000)


def test_repaid_above_the_floor_owes_nothing_more():
    """The waterfall repaid 70 % before maturity, above the 50 % floor: 0 owed, the
    record says so and nothing moves."""
    schedule = redeemed("0.48", [PaymentReceived(date(2027, 6, 30), 7_000_000)])
    [payment] = schedule.redemptions
    assert (payment.owed, payment.repaid, payment.amount, payment.paid_to) == (
        5_000_000,
        7_000_000,
        0,
        (),
    )


def test_the_rate_at_maturity_pools_the_results_ending_by_then():
    """(30 + 36) / (50 + 60) = 66 / 110 = 0.6 exactly; the 2031 result is after maturity."""
    results = [
        (date(2028, 12, 31), 30, 50),
        (date(2030, 12, 31), 36, 60),
        (date(2031, 12, 31), 0, 100),
    ]
    assert rate_at_maturity(MATURITY, results) == Decimal("0.6000")


def test_the_floor_is_rounded_half_up_once():
    """50 % of 1 001 c is 500.5 c: 501 c, half up, for the tranche (not per investor)."""
    assert redemption_owed(1_001, Decimal(50), 0) == (501, 501)
    assert redemption_owed(1_001, Decimal("33.3"), 300) == (333, 33)


def test_return_accrues_on_the_principal_before_the_redemption():
    """A 5 % annual-rate loan, nothing paid before maturity: 1 825 days from 1 January
    2026 to 31 December 2030 on 10 000 000 c, 10 000 000 x 0.05 x 1 825 / 365 =
    2 500 000 c; the 50 % floor repays 5 000 000 c at maturity, then 1 day on
    5 000 000 c: 684.93 c. Paid on 1 January 2031: 2 500 684.93 -> 2 500 685 c (had
    the floor been booked before accruing, 1 826 days on 5 000 000 c: 1 250 685 c)."""
    tranche = loan(cap=AnnualRateCap(Decimal("0.05")))
    schedule = compute_schedule(
        tranches=[tranche],
        payments=[PaymentReceived(date(2031, 1, 1), 100_000_000)],
        steps=[Return("junior"), ResidualToPayer()],
        redemptions=[Redemption("junior", MATURITY, Decimal(50), "departement")],
    )
    assert sum(d.amount for d in schedule.distributions) == 2_500_685


def test_a_guarantee_covers_only_what_the_floor_leaves():
    """Floor 50 % paid at maturity (5 000 000 c); the programme ends that day and a
    guarantee covering the whole loss is called on the 5 000 000 c left, not 10 000 000."""
    guarantee = Tranche(
        "cover",
        TrancheKind.GUARANTEE,
        (Investor("foundation", (), 20_000_000),),
        protects="junior",
    )
    schedule = compute_schedule(
        tranches=[loan(), guarantee],
        payments=[],
        steps=[Principal("junior"), GuaranteeReimbursement("cover"), ResidualToPayer()],
        end_date=MATURITY,
        redemptions=[Redemption("junior", MATURITY, Decimal(50), "departement")],
    )
    assert [c.amount for c in schedule.guarantee_calls] == [5_000_000]
    assert schedule.redemptions[0].amount == 5_000_000


def test_a_guarantee_tranche_is_not_redeemed():
    guarantee = Tranche("cover", TrancheKind.GUARANTEE, (), protects="junior")
    with pytest.raises(InvalidTermsError, match="cover"):
        compute_schedule(
            tranches=[loan(), guarantee],
            payments=[],
            steps=[ResidualToPayer()],
            redemptions=[Redemption("cover", MATURITY, Decimal(50), "departement")],
        )


def test_a_document_without_redemption_keeps_its_keys():
    schedule = compute_schedule(tranches=[loan()], payments=[], steps=[ResidualToPayer()])
    assert "redemptions" not in schedule.to_json_dict()


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"full_at_rate": "60"}, "redemption.full_at_rate"),
        ({"full_at_rate": "0"}, "redemption.full_at_rate"),
        ({"floor_percent": "101"}, "redemption.floor_percent"),
        ({"floor_percent": "-1"}, "redemption.floor_percent"),
        ({"maturity": "2030-02-30"}, "redemption.maturity"),
        ({"payer": ""}, "redemption.payer"),
        ({"early": {}}, "redemption.early"),
        ({"when": "x"}, "redemption.when"),
    ],
)
def test_terms_that_are_not_a_redemption_are_refused_by_path(change, path):
    with pytest.raises(RuleError) as error:
        RedemptionTerms.from_dict({**TERMS, **change}, "redemption")
    assert error.value.path == path


def test_a_missing_term_is_named():
    terms = {k: v for k, v in TERMS.items() if k != "payer"}
    with pytest.raises(RuleError) as error:
        RedemptionTerms.from_dict(terms, "redemption")
    assert error.value.path == "redemption.payer"


def test_terms_round_trip():
    assert RedemptionTerms.from_dict(TERMS, "redemption").to_dict() == TERMS


payment_lists = st.lists(
    st.tuples(st.integers(0, 2_000), st.integers(0, 6_000_000)), min_size=0, max_size=6
)


@settings(max_examples=150, deadline=None)
@given(
    payments=payment_lists,
    percent=st.sampled_from([Decimal(0), Decimal(50), Decimal("75.5"), Decimal(100)]),
    bank=st.integers(1, 6_000_000),
    fund=st.integers(0, 4_000_000),
)
def test_nothing_is_paid_twice(payments, percent, bank, fund):
    """Whatever is paid before or after maturity, no investor gets back more principal
    than it drew; the redemption is exactly max(0, percent x drawn half up - repaid before);
    after it, the waterfall repays only what is still outstanding."""
    received = [PaymentReceived(date.fromordinal(START.toordinal() + d), a) for d, a in payments]
    schedule = compute_schedule(
        tranches=[loan(bank, fund)],
        payments=received,
        steps=[Principal("junior"), ResidualToPayer()],
        redemptions=[Redemption("junior", MATURITY, percent, "departement")],
    )
    [payment] = schedule.redemptions
    before = sum(d.amount for d in schedule.distributions if d.on <= MATURITY)
    owed, amount = redemption_owed(bank + fund, percent, before)
    assert (payment.owed, payment.amount) == (owed, amount)
    assert sum(a for _, a in payment.paid_to) == amount
    for line in schedule.final_lines():
        assert line.cumulative_principal_repaid <= line.drawn_to_date
        assert line.outstanding_principal >= 0
    repaid = sum(line.cumulative_principal_repaid for line in schedule.final_lines())
    assert repaid == sum(d.amount for d in schedule.distributions) + amount
    assert repaid == min(bank + fund, sum(a for _, a in payments) + amount)


def test_programme_years_run_from_the_start_date():
    """Start 1 January 2026: 2029-06-30 is in year 4 (1 January 2029 to 31 December 2029),
    31 December 2028 still in year 3, 1 January 2029 year 4."""
    assert programme_year(START, date(2029, 6, 30)) == 4
    assert programme_year(START, date(2028, 12, 31)) == 3
    assert programme_year(START, date(2029, 1, 1)) == 4
    assert programme_year(START, START) == 1


def test_an_early_redemption_owes_the_years_percent_else_the_floor():
    """ "early": year 4 at 75 %: in year 4, 75 %; in year 2, not listed: the 50 % floor."""
    terms = RedemptionTerms.from_dict(
        {**TERMS, "early": [{"year": 4, "percent": "75"}]}, "redemption"
    )
    assert (terms.early_percent(4), terms.early_percent(2)) == (Decimal(75), Decimal(50))


def test_an_early_redemption_in_year_4_pays_75_percent_less_what_came_back():
    """Redeemed on 30 June 2029, year 4, at 75 %: 7 500 000 c owed; the waterfall repaid
    3 000 000 c: the payer owes 4 500 000 c (bank 2 700 000, fund 1 800 000)."""
    early = Redemption("junior", date(2029, 6, 30), Decimal(75), "departement")
    schedule = compute_schedule(
        tranches=[loan()],
        payments=[PaymentReceived(date(2027, 6, 30), 3_000_000)],
        steps=[Principal("junior"), ResidualToPayer()],
        redemptions=[early],
    )
    [payment] = schedule.redemptions
    assert (payment.owed, payment.amount) == (7_500_000, 4_500_000)
    assert payment.paid_to == (("bank", 2_700_000), ("fund", 1_800_000))


@pytest.mark.parametrize(
    ("early", "path"),
    [
        ([{"year": 0, "percent": "75"}], "redemption.early[0].year"),
        ([{"year": 4, "percent": "175"}], "redemption.early[0].percent"),
        ([{"year": 4, "percent": "75"}, {"year": 4, "percent": "80"}], "redemption.early[1].year"),
        ([{"year": 4}], "redemption.early[0].percent"),
        ([{"year": 4, "percent": "75", "when": "x"}], "redemption.early[0].when"),
    ],
)
def test_an_early_schedule_that_is_not_one_is_refused_by_path(early, path):
    with pytest.raises(RuleError) as error:
        RedemptionTerms.from_dict({**TERMS, "early": early}, "redemption")
    assert error.value.path == path


def test_early_terms_round_trip():
    terms = {**TERMS, "early": [{"year": 4, "percent": "75"}, {"year": 5, "percent": "90"}]}
    assert RedemptionTerms.from_dict(terms, "redemption").to_dict() == terms
