"""Tests of the repayment schedule: worked examples from the contract rules and properties.

Worked examples use the demo deal of DOMAIN.md (Jardins solidaires): bank
senior 600 000 €, foundation senior 300 000 €, both capped at 5% p.a.;
impact fund junior 200 000 € at 8% p.a.; a second foundation guarantees up
to 150 000 € of senior losses. All capital is drawn on 2026-01-01. Every
expected figure below was computed by hand from the rules, in euros, then
written in cents.
"""

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from payments.engine.metrics import xirr
from payments.engine.schedule import PaymentReceived, RepaymentSchedule, compute_schedule
from payments.engine.terms import (
    AnnualRateCap,
    Drawdown,
    GuaranteeReimbursement,
    InvalidTermsError,
    Investor,
    IrrCap,
    MultipleCap,
    Principal,
    ProviderSuccessFee,
    ResidualToPayer,
    Return,
    Step,
    Tranche,
    TrancheKind,
)

EUR = 100
START = date(2026, 1, 1)


def lender(investor_id: str, euros: int, on: date = START) -> Investor:
    return Investor(investor_id, (Drawdown(on, euros * EUR),))


DEMO_TRANCHES = (
    Tranche(
        "senior",
        TrancheKind.SENIOR_LOAN,
        (lender("bank", 600_000), lender("foundation", 300_000)),
        AnnualRateCap(Decimal("0.05")),
    ),
    Tranche(
        "junior",
        TrancheKind.SUBORDINATED_LOAN,
        (lender("impact_fund", 200_000),),
        AnnualRateCap(Decimal("0.08")),
    ),
    Tranche(
        "guarantee",
        TrancheKind.GUARANTEE,
        (Investor("second_foundation", commitment=150_000 * EUR),),
        protects="senior",
    ),
)
# The guarantor steps into the seniors' shoes: reimbursed right after them.
DEMO_STEPS: tuple[Step, ...] = (
    Principal("senior"),
    Return("senior"),
    GuaranteeReimbursement("guarantee"),
    Principal("junior"),
    Return("junior"),
    ResidualToPayer(),
)


def pay(on: date, euros: int) -> PaymentReceived:
    return PaymentReceived(on, euros * EUR)


def paid(schedule: RepaymentSchedule, on: date, recipient: str, kind: str) -> int:
    return sum(
        d.amount
        for d in schedule.distributions
        if d.on == on and d.recipient == recipient and d.step_kind == kind
    )


class TestDemoDeal:
    def schedule(self) -> RepaymentSchedule:
        return compute_schedule(
            tranches=DEMO_TRANCHES,
            payments=[pay(date(2027, 1, 1), 500_000), pay(date(2028, 1, 1), 700_000)],
            steps=DEMO_STEPS,
        )

    def test_first_payment_repays_senior_principal_two_to_one(self) -> None:
        # 500 000 € split 600:300 → 333 333,333… and 166 666,666… €. In
        # cents the floors are 33 333 333 and 16 666 666; the odd cent goes
        # to the larger remainder (.67, the foundation).
        s = self.schedule()
        on = date(2027, 1, 1)
        assert paid(s, on, "bank", "principal") == 33_333_333
        assert paid(s, on, "foundation", "principal") == 16_666_667
        assert paid(s, on, "impact_fund", "principal") == 0

    def test_second_payment_runs_down_the_waterfall(self) -> None:
        # 2028-01-01, 700 000 €:
        # senior principal: the rest, 266 666,67 + 133 333,33 = 400 000 €.
        # senior return, simple 5% ACT/365 on outstanding:
        #   bank 600 000 × 5% × 365/365 = 30 000 €
        #        + 266 666,67 × 5% × 365/365 = 13 333,3335 € → 43 333,33 €
        #   foundation 15 000 + 133 333,33 × 5% = 21 666,6665 € → 21 666,67 €
        # junior principal 200 000 €; junior return 200 000 × 8% × 730/365
        # = 32 000 €. Left: 700 000 − 400 000 − 65 000 − 200 000 − 32 000
        # = 3 000 € stays with the payer.
        s = self.schedule()
        on = date(2028, 1, 1)
        assert paid(s, on, "bank", "principal") == 26_666_667
        assert paid(s, on, "foundation", "principal") == 13_333_333
        assert paid(s, on, "bank", "return") == 4_333_333
        assert paid(s, on, "foundation", "return") == 2_166_667
        assert paid(s, on, "impact_fund", "principal") == 20_000_000
        assert paid(s, on, "impact_fund", "return") == 3_200_000
        assert [r.amount for r in s.residuals] == [0, 300_000]
        assert s.guarantee_calls == ()

    def test_bank_xirr_stays_under_its_five_percent_cap(self) -> None:
        # Year-1 interest is paid a year late without compounding, so the
        # bank's IRR is below 5%. With x = 1/(1+r):
        # 310 000 x² + 333 333,33 x − 600 000 = 0
        # → x = (−333 333,33 + √(333 333,33² + 4 × 310 000 × 600 000)) / 620 000
        #     = (−333 333,33 + 924 721,5) / 620 000 ≈ 0.953852 → r ≈ 4.838%.
        flows = self.schedule().investor_flows()["bank"]
        assert flows == [
            (START, -60_000_000),
            (date(2027, 1, 1), 33_333_333),
            (date(2028, 1, 1), 31_000_000),
        ]
        result = xirr(flows)
        assert result.value is not None
        assert Decimal("0.0483") < result.value < Decimal("0.0485")

    def test_lines_track_outstanding_and_cumulative_totals(self) -> None:
        s = self.schedule()
        bank = [line for line in s.lines if line.investor == "bank"]
        assert [line.on for line in bank] == [START, date(2027, 1, 1), date(2028, 1, 1)]
        assert [line.outstanding_principal for line in bank] == [60_000_000, 26_666_667, 0]
        assert bank[-1].cumulative_principal_repaid == 60_000_000
        assert bank[-1].cumulative_return_paid == 4_333_333


class TestGuarantee:
    def schedule(self) -> RepaymentSchedule:
        # Programme ends on 2027-01-01, the day the only on-time payment
        # (500 000 €) arrives; a late payment of 300 000 € comes 2027-06-01.
        return compute_schedule(
            tranches=DEMO_TRANCHES,
            payments=[pay(date(2027, 1, 1), 500_000), pay(date(2027, 6, 1), 300_000)],
            steps=DEMO_STEPS,
            end_date=date(2027, 1, 1),
        )

    def test_guarantee_covers_senior_shortfall_after_junior_lost_everything(self) -> None:
        # After 500 000 € the seniors still miss 400 000 € (bank 266 666,67,
        # foundation 133 333,33); the junior has had nothing. The guarantee
        # pays its full 150 000 € cover pro rata to what each senior is
        # owed: 150 000 × 266 666,67/400 000 = 100 000,0001 → 100 000,00 €
        # and 49 999,9999 → 50 000,00 € (odd cent to the larger remainder).
        (call,) = self.schedule().guarantee_calls
        assert call.on == date(2027, 1, 1)
        assert call.shortfall == 40_000_000
        assert call.amount == 15_000_000
        assert call.paid_by == (("second_foundation", 15_000_000),)
        assert call.paid_to == (("bank", 10_000_000), ("foundation", 5_000_000))

    def test_late_payment_reimburses_the_guarantor_at_its_step(self) -> None:
        # 300 000 € on 2027-06-01: senior principal still owed 250 000 €
        # (bank 166 666,67, foundation 83 333,33); senior return accrued
        # only to the end date: bank 30 000 €, foundation 15 000 €, total
        # 45 000 €. The last 5 000 € reimburses the guarantor; the junior
        # gets nothing.
        s = self.schedule()
        on = date(2027, 6, 1)
        assert paid(s, on, "bank", "principal") == 16_666_667
        assert paid(s, on, "foundation", "principal") == 8_333_333
        assert paid(s, on, "bank", "return") == 3_000_000
        assert paid(s, on, "foundation", "return") == 1_500_000
        assert paid(s, on, "second_foundation", "guarantee_reimbursement") == 500_000
        assert paid(s, on, "impact_fund", "principal") == 0

    def test_guarantor_flows_are_the_call_and_the_reimbursement(self) -> None:
        flows = self.schedule().investor_flows()["second_foundation"]
        assert flows == [(date(2027, 1, 1), -15_000_000), (date(2027, 6, 1), 500_000)]


class TestEarlyTermination:
    def test_termination_calls_guarantee_and_stops_accrual(self) -> None:
        # Terminated on 2026-07-01 (181 days in) with nothing paid yet: the
        # seniors miss 900 000 €; the guarantee pays 150 000 € (bank
        # 100 000, foundation 50 000). The verified outcomes pay 1 000 000 €
        # on 2027-01-01:
        #   senior principal 750 000 €;
        #   senior return for 181 days only: bank 30 000 × 181/365
        #   = 14 876,712… → 14 876,71 €; foundation 7 438,356… → 7 438,36 €;
        #   guarantor reimbursed 150 000 €;
        #   junior principal: 1 000 000 − 750 000 − 22 315,07 − 150 000
        #   = 77 684,93 €; the junior loses the other 122 315,07 €.
        s = compute_schedule(
            tranches=DEMO_TRANCHES,
            payments=[pay(date(2027, 1, 1), 1_000_000)],
            steps=DEMO_STEPS,
            end_date=date(2026, 7, 1),
        )
        on = date(2027, 1, 1)
        assert [c.paid_to for c in s.guarantee_calls] == [
            (("bank", 10_000_000), ("foundation", 5_000_000))
        ]
        assert paid(s, on, "bank", "return") == 1_487_671
        assert paid(s, on, "foundation", "return") == 743_836
        assert paid(s, on, "second_foundation", "guarantee_reimbursement") == 15_000_000
        assert paid(s, on, "impact_fund", "principal") == 7_768_493
        assert s.total_residual == 0

    def test_rejects_drawdown_after_termination(self) -> None:
        tranche = Tranche("t", TrancheKind.EQUITY, (lender("a", 1, on=date(2027, 1, 1)),))
        with pytest.raises(InvalidTermsError, match="after the end date"):
            compute_schedule(
                tranches=(tranche,), payments=[], steps=(), end_date=date(2026, 12, 31)
            )


class TestRecoverableGrant:
    def test_grant_is_repaid_only_from_surplus(self) -> None:
        # Senior loan 100 000 € at 5%, recoverable grant 50 000 €, both on
        # 2026-01-01; the provider keeps 10% of any surplus before the grant.
        # 2027-01-01, 130 000 €: senior 100 000 + 5 000 (365 days at 5%);
        #   surplus 25 000 €: provider 2 500 €, grant 22 500 €.
        # 2028-01-01, 40 000 €: nothing owed to the senior (no principal
        #   left, so no accrual); provider 4 000 €; grant the remaining
        #   27 500 €; 8 500 € stays with the payer.
        tranches = (
            Tranche(
                "senior",
                TrancheKind.SENIOR_LOAN,
                (lender("bank", 100_000),),
                AnnualRateCap(Decimal("0.05")),
            ),
            Tranche("grant", TrancheKind.RECOVERABLE_GRANT, (lender("philanthropy", 50_000),)),
        )
        steps = (
            Principal("senior"),
            Return("senior"),
            ProviderSuccessFee(Decimal("0.10")),
            Principal("grant"),
            ResidualToPayer(),
        )
        s = compute_schedule(
            tranches=tranches,
            payments=[pay(date(2027, 1, 1), 130_000), pay(date(2028, 1, 1), 40_000)],
            steps=steps,
        )
        first, second = date(2027, 1, 1), date(2028, 1, 1)
        assert paid(s, first, "provider", "provider_success_fee") == 2_500 * EUR
        assert paid(s, first, "philanthropy", "principal") == 22_500 * EUR
        assert paid(s, second, "provider", "provider_success_fee") == 4_000 * EUR
        assert paid(s, second, "philanthropy", "principal") == 27_500 * EUR
        assert [r.amount for r in s.residuals] == [0, 8_500 * EUR]


class TestCanonicalJson:
    def test_json_dict_has_iso_dates_int_amounts_and_sorted_keys(self) -> None:
        s = TestDemoDeal().schedule()
        data = s.to_json_dict()
        assert data["totals"] == {
            "distributed": 119_700_000,
            "received": 120_000_000,
            "residual": 300_000,
        }
        first = data["distributions"][0]
        assert list(first) == sorted(first)
        assert first["on"] == "2027-01-01"
        assert isinstance(first["amount"], int)
        assert json.loads(json.dumps(data)) == data


# ---------------------------------------------------------------- properties

DAY = st.integers(min_value=0, max_value=5 * 365)


@st.composite
def deals(draw: st.DrawFn) -> tuple[tuple[Tranche, ...], list[PaymentReceived]]:
    """Draw a deal shaped like the demo: seniors, juniors, a guarantee, payments."""

    def investors(prefix: str, max_size: int) -> tuple[Investor, ...]:
        count = draw(st.integers(1, max_size))
        return tuple(
            Investor(
                f"{prefix}{n}",
                tuple(
                    Drawdown(START + timedelta(days=d), a)
                    for d, a in draw(
                        st.lists(
                            st.tuples(st.integers(0, 400), st.integers(1, 10**8)),
                            min_size=1,
                            max_size=3,
                        )
                    )
                ),
            )
            for n in range(count)
        )

    rate = st.decimals(min_value=0, max_value=Decimal("0.12"), places=3)
    junior_cap = draw(
        st.sampled_from(
            [
                AnnualRateCap(draw(rate)),
                IrrCap(draw(rate)),
                MultipleCap(Decimal("1") + draw(rate)),
            ]
        )
    )
    tranches = (
        Tranche("senior", TrancheKind.SENIOR_LOAN, investors("s", 4), AnnualRateCap(draw(rate))),
        Tranche("junior", TrancheKind.SUBORDINATED_LOAN, investors("j", 3), junior_cap),
        Tranche(
            "guarantee",
            TrancheKind.GUARANTEE,
            (Investor("g", commitment=draw(st.integers(1, 10**8))),),
            protects="senior",
        ),
    )
    payments = [
        PaymentReceived(START + timedelta(days=d), a)
        for d, a in draw(st.lists(st.tuples(DAY, st.integers(0, 2 * 10**8)), max_size=6))
    ]
    return tranches, payments


END = st.one_of(st.none(), st.just(START + timedelta(days=5 * 365)))


@settings(max_examples=60, deadline=None)
@given(deal=deals(), end=END)
def test_distributions_plus_residual_equal_payments_received(
    deal: tuple[tuple[Tranche, ...], list[PaymentReceived]], end: date | None
) -> None:
    tranches, payments = deal
    s = compute_schedule(tranches=tranches, payments=payments, steps=DEMO_STEPS, end_date=end)
    assert s.total_distributed + s.total_residual == sum(p.amount for p in payments)
    assert all(isinstance(d.amount, int) and d.amount > 0 for d in s.distributions)


@settings(max_examples=60, deadline=None)
@given(deal=deals(), end=END)
def test_no_tranche_is_paid_above_its_cap(
    deal: tuple[tuple[Tranche, ...], list[PaymentReceived]], end: date | None
) -> None:
    tranches, payments = deal
    s = compute_schedule(tranches=tranches, payments=payments, steps=DEMO_STEPS, end_date=end)
    last = {line.investor: line for line in s.lines}
    flows = s.investor_flows()
    for tranche in tranches[:2]:
        for investor in tranche.investors:
            line = last[investor.id]
            drawn = line.drawn_to_date
            assert line.cumulative_principal_repaid + line.cumulative_guarantee_received <= drawn
            cap = tranche.cap
            if isinstance(cap, AnnualRateCap):
                # Outstanding never exceeds drawn, so simple interest on all
                # of it from the first drawdown to the last day bounds the
                # return (plus half a cent of rounding).
                days = (s.lines[-1].on - START).days
                bound = Decimal(drawn) * cap.rate * days / 365 + Decimal("0.5")
                assert line.cumulative_return_paid <= bound
            elif isinstance(cap, MultipleCap):
                returned = line.cumulative_principal_repaid + line.cumulative_return_paid
                assert returned <= cap.multiple * drawn
            elif isinstance(cap, IrrCap):
                result = xirr(flows[investor.id])
                if result.value is not None:
                    assert result.value <= cap.rate + Decimal("0.000001")


@settings(max_examples=60, deadline=None)
@given(deal=deals())
def test_no_junior_money_while_senior_principal_is_outstanding(
    deal: tuple[tuple[Tranche, ...], list[PaymentReceived]],
) -> None:
    tranches, payments = deal
    s = compute_schedule(tranches=tranches, payments=payments, steps=DEMO_STEPS)
    junior_dates = {d.on for d in s.distributions if d.tranche == "junior"}
    for line in s.lines:
        if line.tranche == "senior" and line.on in junior_dates:
            assert line.outstanding_principal == 0


@settings(max_examples=60, deadline=None)
@given(deal=deals(), cut=st.integers(min_value=0, max_value=10**8))
def test_lowering_a_payment_never_raises_what_anyone_gets_from_it(
    deal: tuple[tuple[Tranche, ...], list[PaymentReceived]], cut: int
) -> None:
    """Lower the last payment; compare that payment's distribution.

    Only the lowered payment's own distribution is compared: a smaller
    early payment leaves more principal outstanding, which rightly accrues
    more return later. Step totals are exactly monotone; a single investor's
    part may move by one cent per step against the trend because
    largest-remainder rounding is not monotone (see sib.money.allocate).
    """
    tranches, payments = deal
    if not payments:
        return
    last_day = max(p.on for p in payments) + timedelta(days=1)
    amount = payments[-1].amount
    high = compute_schedule(
        tranches=tranches, payments=[*payments, PaymentReceived(last_day, amount)], steps=DEMO_STEPS
    )
    low = compute_schedule(
        tranches=tranches,
        payments=[*payments, PaymentReceived(last_day, max(0, amount - cut))],
        steps=DEMO_STEPS,
    )

    def on_last_day(s: RepaymentSchedule) -> tuple[dict[int, int], dict[str, int]]:
        by_step: dict[int, int] = {}
        by_investor: dict[str, int] = {}
        for d in s.distributions:
            if d.on == last_day:
                by_step[d.step_index] = by_step.get(d.step_index, 0) + d.amount
                by_investor[d.recipient] = by_investor.get(d.recipient, 0) + d.amount
        return by_step, by_investor

    high_steps, high_investors = on_last_day(high)
    low_steps, low_investors = on_last_day(low)
    for step, total in low_steps.items():
        assert total <= high_steps.get(step, 0)
    for investor, total in low_investors.items():
        assert total <= high_investors.get(investor, 0) + len(DEMO_STEPS)


@settings(max_examples=40, deadline=None)
@given(deal=deals(), end=END)
def test_recomputing_gives_an_identical_schedule(
    deal: tuple[tuple[Tranche, ...], list[PaymentReceived]], end: date | None
) -> None:
    tranches, payments = deal
    first = compute_schedule(tranches=tranches, payments=payments, steps=DEMO_STEPS, end_date=end)
    again = compute_schedule(tranches=tranches, payments=payments, steps=DEMO_STEPS, end_date=end)
    assert first == again
    assert json.dumps(first.to_json_dict()) == json.dumps(again.to_json_dict())
