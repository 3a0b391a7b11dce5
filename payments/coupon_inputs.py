"""A tranche's coupon and redemption as the engine reads them, with their measured rates."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from outcomes.models import MeasurementPeriod
from payments.contract import engine_cap
from payments.engine.coupon import CouponCap, measured_by_year
from payments.engine.redemption import (
    Redemption,
    RedemptionTerms,
    programme_year,
    rate_at_maturity,
)
from payments.engine.terms import ReturnCap
from payments.rules.absolute import BandedRateResult
from sib.models import Programme


def coupon_cap(
    *,
    programme: Programme,
    start: date,
    data: dict[str, Any],
    results: Sequence[BandedRateResult],
) -> CouponCap:
    """Return a coupon with the rate measured each coupon year from ``results``.

    Coupon years run from ``start`` (the programme's start date); a result of the
    coupon's metric counts in the year its measurement period ends in, the year's results
    pooled (payments.engine.coupon).
    """
    terms = CouponCap.from_dict(data, "coupon")
    ends = dict(
        MeasurementPeriod.objects.filter(programme=programme).values_list("code", "end_date")
    )
    rows = [
        (ends[r.period], r.achieved, r.measured)
        for r in results
        if r.metric == terms.metric and r.period in ends
    ]
    return replace(terms, start=start, measured=measured_by_year(start, rows, 0))


def tranche_cap(
    programme: Programme,
    terms: dict[str, Any],
    item: dict[str, Any],
    results: Sequence[BandedRateResult],
) -> ReturnCap | None:
    """Return the return cap of a tranche of the contract ``terms``: its coupon or its cap."""
    if item.get("coupon"):
        start = date.fromisoformat(terms["programme"]["start_date"])
        return coupon_cap(programme=programme, start=start, data=item["coupon"], results=results)
    cap = item["cap"]
    return engine_cap(cap[0], Decimal(cap[1])) if cap else None


def tranche_redemptions(
    programme: Programme,
    terms: dict[str, Any],
    results: Sequence[BandedRateResult],
    end_date: date | None,
) -> tuple[Redemption, ...]:
    """Return the redemptions due by ``end_date``, each at the percent its rate gives.

    A redemption is booked when the schedule reaches its maturity: the actual schedule
    of a programme closed or terminated on or after it, a projection ending on or after
    it (as guarantees are called only then). The rate at maturity pools the verified
    results of its metric whose period ends by maturity (payments.engine.redemption).
    An early redemption before maturity replaces it: booked on its date (``end_date`` is
    then that date, schedule_end) at the percent of its programme year.
    """
    items = [item for item in terms["tranches"] if item.get("redemption")]
    if end_date is None or not items:
        return ()
    early = redeemed_early_on(terms)
    start = date.fromisoformat(terms["programme"]["start_date"])
    ends = dict(
        MeasurementPeriod.objects.filter(programme=programme).values_list("code", "end_date")
    )
    redemptions = []
    for item in items:
        redemption = RedemptionTerms.from_dict(item["redemption"], "redemption")
        if early is not None and early < redemption.maturity:
            if early > end_date:
                continue  # terminated before the redemption's date: the guarantees answer
            percent = redemption.early_percent(programme_year(start, early))
            redemptions.append(Redemption(item["id"], early, percent, redemption.payer))
            continue
        if redemption.maturity > end_date:
            continue
        rows = [
            (ends[r.period], r.achieved, r.measured)
            for r in results
            if r.metric == redemption.metric and r.period in ends
        ]
        rate = rate_at_maturity(redemption.maturity, rows)
        redemptions.append(
            Redemption(
                tranche=item["id"],
                on=redemption.maturity,
                percent=redemption.percent(rate),
                payer=redemption.payer,
                rate=rate,
            )
        )
    return tuple(redemptions)


def redeemed_early_on(terms: dict[str, Any]) -> date | None:
    """Return the date of the terms' early redemption (a variation), None: none."""
    for item in terms.get("variations", []):
        if item["kind"] == "early_redemption":
            return date.fromisoformat(item["effective_date"])
    return None


def schedule_end(terms: dict[str, Any], end_date: date | None) -> date | None:
    """Return the schedule's end: ``end_date``, or an early redemption's date before it.

    Redeemed early, the programme ends then: return stops accruing and the guarantees
    are called on what the redemption leaves outstanding (payments.engine.schedule).
    """
    early = redeemed_early_on(terms)
    if early is None or (end_date is not None and end_date <= early):
        return end_date
    return early
