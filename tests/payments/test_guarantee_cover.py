"""A guarantee that covers a percentage of the protected tranche's principal loss (issue 15).

Real deals write "the foundation covers 50 % of the senior lenders' principal loss, up to
250 000 €". On the end date the guarantee calls cover_percent × the protected tranche's
shortfall (its principal not repaid), rounded to the cent half up, at most its cover
limit and at most what its guarantors committed.

The deal of every example: one senior lender drew 1 000 000,00 € on 2026-01-15 and got
600 000,00 € back (the only payment, all of it principal), so on the end date the senior
tranche is short 400 000,00 €.
"""

from datetime import date
from decimal import Decimal

import pytest

from payments.engine.schedule import PaymentReceived, RepaymentSchedule, compute_schedule
from payments.engine.terms import (
    Drawdown,
    GuaranteeReimbursement,
    InvalidTermsError,
    Investor,
    Principal,
    Tranche,
    TrancheKind,
)
from payments.engine.waterfall import guarantee_due

END = date(2030, 12, 31)
DRAWN, RECEIVED = 100_000_000, 60_000_000  # 1 000 000,00 € drawn, 600 000,00 € back


def senior(*drawn: int) -> Tranche:
    return Tranche(
        "senior",
        TrancheKind.SENIOR_LOAN,
        tuple(
            Investor(f"lender-{i}", (Drawdown(date(2026, 1, 15), amount),))
            for i, amount in enumerate(drawn or (DRAWN,))
        ),
    )


def guarantee(
    percent: str | None, limit: int | None = None, committed: int = 30_000_000
) -> Tranche:
    return Tranche(
        "first-loss",
        TrancheKind.GUARANTEE,
        (Investor("fondation", commitment=committed),),
        protects="senior",
        cover_percent=Decimal(percent) if percent is not None else None,
        cover_limit=limit,
    )


def schedule(cover: Tranche, *drawn: int) -> RepaymentSchedule:
    return compute_schedule(
        tranches=(senior(*drawn), cover),
        payments=(PaymentReceived(date(2029, 6, 30), RECEIVED),),
        steps=(Principal("senior"), GuaranteeReimbursement("first-loss")),
        end_date=END,
    )


def called(cover: Tranche, *drawn: int) -> tuple[int, int]:
    """Return (shortfall, amount called) of the one guarantee call."""
    (call,) = schedule(cover, *drawn).guarantee_calls
    return call.shortfall, call.amount


def test_half_the_loss_without_a_limit():
    """50 % × 400 000,00 € = 200 000,00 €; the guarantor committed 300 000,00 €."""
    assert called(guarantee("50")) == (40_000_000, 20_000_000)


def test_half_the_loss_under_a_limit_that_does_not_bind():
    """50 % × 400 000,00 € = 200 000,00 €, under the 250 000,00 € limit: 200 000,00 €."""
    assert called(guarantee("50", limit=25_000_000)) == (40_000_000, 20_000_000)


def test_half_the_loss_capped_by_a_binding_limit():
    """50 % × 400 000,00 € = 200 000,00 €, above the 150 000,00 € limit: 150 000,00 €."""
    assert called(guarantee("50", limit=15_000_000)) == (40_000_000, 15_000_000)


def test_half_the_loss_capped_by_what_the_guarantor_committed():
    """50 % × 400 000,00 € = 200 000,00 €; the guarantor committed 120 000,00 €: 120 000 €."""
    assert called(guarantee("50", committed=12_000_000)) == (40_000_000, 12_000_000)


def test_an_odd_cent_is_rounded_half_up():
    """Drawn 1 000 000,01 €, 600 000,00 € back: short 400 000,01 €. 50 % of it is
    200 000,005 €, rounded half up (as every amount computed from a rate): 200 000,01 €.
    (Half to even would give 200 000,00 €; the guarantor owes the half cent.)"""
    assert called(guarantee("50"), DRAWN + 1) == (40_000_001, 20_000_001)


def test_a_fractional_percentage_rounds_to_the_nearest_cent():
    """33,3333 % × 400 000,00 € = 133 333,20 € exactly; 12,5 % × 400 000,01 € =
    50 000,00125 €, which rounds to 50 000,00 €."""
    assert called(guarantee("33.3333"))[1] == 13_333_320
    assert called(guarantee("12.5"), DRAWN + 1)[1] == 5_000_000


def test_a_limit_alone_covers_the_whole_loss_up_to_the_limit():
    """No percentage: the whole 400 000,00 € loss, at most the 150 000,00 € limit."""
    assert called(guarantee(None, limit=15_000_000)) == (40_000_000, 15_000_000)


def test_the_call_is_shared_by_the_protected_lenders_pro_rata_to_their_loss():
    """Two lenders drew 600 000 € and 400 000 €; 600 000 € back, pro rata: 360 000 € and
    240 000 €. Short 240 000 € and 160 000 €; 50 % of the 400 000 € loss is 200 000 €,
    shared 120 000 € and 80 000 €."""
    (call,) = schedule(guarantee("50"), 60_000_000, 40_000_000).guarantee_calls
    assert call.amount == 20_000_000
    assert call.paid_to == (("lender-0", 12_000_000), ("lender-1", 8_000_000))
    assert call.paid_by == (("fondation", 20_000_000),)


def test_a_hundred_percent_is_the_whole_loss():
    assert guarantee_due(guarantee("100", committed=10**12), 40_000_001) == 40_000_001


def test_no_loss_no_call():
    """The lender got its 1 000 000 € back: nothing is short, nothing is called."""
    paid_back = compute_schedule(
        tranches=(senior(), guarantee("50")),
        payments=(PaymentReceived(date(2029, 6, 30), DRAWN),),
        steps=(Principal("senior"),),
        end_date=END,
    )
    assert paid_back.guarantee_calls == ()


@pytest.mark.parametrize("percent", ["0", "-5", "100.0001"])
def test_a_cover_percentage_outside_0_to_100_is_refused(percent):
    with pytest.raises(InvalidTermsError, match="cover_percent"):
        schedule(guarantee(percent))


def test_only_a_guarantee_has_a_cover_percentage():
    loan = Tranche(
        "junior",
        TrancheKind.SUBORDINATED_LOAN,
        (Investor("fund", (Drawdown(date(2026, 1, 15), 1),)),),
        cover_percent=Decimal(50),
    )
    with pytest.raises(InvalidTermsError, match="not a guarantee"):
        compute_schedule(tranches=(senior(), loan), payments=(), steps=(), end_date=END)
