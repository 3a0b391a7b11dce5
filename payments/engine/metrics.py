"""Investor metrics: XIRR, MOIC, DPI and the public repayment category.

A metric that cannot be computed says so (``value`` None and a reason);
it never shows a number that is not the answer.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from enum import StrEnum

import pyxirr

from payments.engine.schedule import RepaymentSchedule

__all__ = [
    "InvestorMetrics",
    "Ratio",
    "RepaymentCategory",
    "Xirr",
    "XirrStatus",
    "dpi",
    "investor_metrics",
    "moic",
    "repayment_category",
    "schedule_metrics",
    "xirr",
]

RATE_QUANTUM = Decimal("0.000001")
RATIO_QUANTUM = Decimal("0.0001")
# |NPV at the rate found| must stay below this fraction of the gross flows.
NPV_RELATIVE_TOLERANCE = 1e-7


class XirrStatus(StrEnum):
    OK = "ok"
    NO_RATE = "no_rate"
    NOT_CONVERGED = "not_converged"


@dataclass(frozen=True, slots=True)
class Xirr:
    """An annual XIRR as a fraction (0.05 is 5%), quantised to 1e-6, or why there is none."""

    value: Decimal | None
    status: XirrStatus
    reason: str


@dataclass(frozen=True, slots=True)
class Ratio:
    """A ratio quantised to 1e-4 (half to even), or None with the reason."""

    value: Decimal | None
    reason: str = ""


class RepaymentCategory(StrEnum):
    NONE = "none"
    SOME = "some"
    PRINCIPAL = "principal"
    PRINCIPAL_PLUS_RETURN = "principal_plus_return"


@dataclass(frozen=True, slots=True)
class InvestorMetrics:
    investor: str
    drawn: int
    returned: int
    xirr: Xirr
    moic: Ratio
    dpi: Ratio
    category: RepaymentCategory | None


def _sign_changes(amounts: Sequence[int]) -> int:
    """Return how often the running total of ``amounts`` changes sign."""
    changes, running, sign = 0, 0, 0
    for amount in amounts:
        running += amount
        now = (running > 0) - (running < 0)
        if now and sign and now != sign:
            changes += 1
        sign = now or sign
    return changes


def xirr(flows: Sequence[tuple[date, int]]) -> Xirr:
    """Return the XIRR (ACT/365) of dated flows: drawdowns negative, distributions positive.

    The rate pyxirr finds is accepted only if the NPV at that rate is zero
    to a relative tolerance of ``NPV_RELATIVE_TOLERANCE``.
    """
    amounts = [amount for _, amount in flows]
    if not any(a < 0 for a in amounts):
        return Xirr(None, XirrStatus.NO_RATE, "no capital drawn")
    if not any(a > 0 for a in amounts):
        return Xirr(None, XirrStatus.NO_RATE, "nothing returned yet")
    dates = [on for on, _ in flows]
    floats = [float(a) for a in amounts]
    rate = pyxirr.xirr(dates, floats, silent=True)
    if rate is None or not math.isfinite(rate):
        return Xirr(None, XirrStatus.NOT_CONVERGED, "the solver found no rate")
    npv = pyxirr.xnpv(rate, dates, floats, silent=True)
    gross = sum(abs(a) for a in floats)
    if npv is None or not math.isfinite(npv) or abs(npv) > NPV_RELATIVE_TOLERANCE * gross:
        return Xirr(None, XirrStatus.NOT_CONVERGED, f"NPV at the rate found is {npv}, not 0")
    reason = ""
    if _sign_changes(amounts) > 1:
        # Norstrom: one sign change of the running total guarantees one root.
        reason = "the running total changes sign more than once; another rate may also fit"
    with localcontext() as ctx:
        # A deal doubling money in a week has a rate of ~1e15: room for it.
        ctx.prec = 400
        value = Decimal(repr(rate)).quantize(RATE_QUANTUM, rounding=ROUND_HALF_EVEN)
    return Xirr(value, XirrStatus.OK, reason)


def _ratio(numerator: int, denominator: int) -> Ratio:
    if denominator == 0:
        return Ratio(None, "no capital drawn")
    with localcontext() as ctx:
        ctx.prec = 50
        value = Decimal(numerator) / Decimal(denominator)
        return Ratio(value.quantize(RATIO_QUANTUM, rounding=ROUND_HALF_EVEN))


def moic(*, drawn: int, returned: int, unrealised: int = 0) -> Ratio:
    """Return the multiple on invested capital: (returned + unrealised) / drawn.

    With no ``unrealised`` value (the default) it equals DPI.
    """
    return _ratio(returned + unrealised, drawn)


def dpi(*, drawn: int, returned: int) -> Ratio:
    """Return distributions to paid-in: returned / drawn."""
    return _ratio(returned, drawn)


def repayment_category(*, drawn: int, returned: int) -> RepaymentCategory | None:
    """Return the public-data repayment category; None when nothing was drawn."""
    if drawn <= 0:
        return None
    if returned == 0:
        return RepaymentCategory.NONE
    if returned < drawn:
        return RepaymentCategory.SOME
    if returned == drawn:
        return RepaymentCategory.PRINCIPAL
    return RepaymentCategory.PRINCIPAL_PLUS_RETURN


def investor_metrics(
    investor: str, *, drawn: int, returned: int, flows: Sequence[tuple[date, int]]
) -> InvestorMetrics:
    """Return every metric of one investor."""
    return InvestorMetrics(
        investor=investor,
        drawn=drawn,
        returned=returned,
        xirr=xirr(flows),
        moic=moic(drawn=drawn, returned=returned),
        dpi=dpi(drawn=drawn, returned=returned),
        category=repayment_category(drawn=drawn, returned=returned),
    )


def schedule_metrics(schedule: RepaymentSchedule) -> dict[str, InvestorMetrics]:
    """Return metrics per investor id (all its tranches together) from a schedule.

    Drawn and returned are gross totals from the lines; XIRR uses the net
    flow of each date. Guarantee money received counts as returned; for a
    guarantor, "drawn" is what calls took from it.
    """
    drawn: dict[str, int] = {}
    returned: dict[str, int] = {}
    for line in schedule.final_lines():
        drawn[line.investor] = drawn.get(line.investor, 0) + line.drawn_to_date
        returned[line.investor] = (
            returned.get(line.investor, 0)
            + line.cumulative_principal_repaid
            + line.cumulative_return_paid
            + line.cumulative_guarantee_received
        )
    flows = schedule.investor_flows()
    return {
        investor: investor_metrics(
            investor, drawn=drawn[investor], returned=returned[investor], flows=flows[investor]
        )
        for investor in drawn
    }
