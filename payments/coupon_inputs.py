"""A tranche's coupon as the engine reads it: its terms with the rate measured each year."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from outcomes.models import MeasurementPeriod
from payments.contract import engine_cap
from payments.engine.coupon import CouponCap, measured_by_year
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
