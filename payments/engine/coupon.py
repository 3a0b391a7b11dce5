"""A coupon on investors' principal, banded on an absolute rate measured each year.

    "coupon": {"metric": "restoration",
               "bands": [{"min_rate": "0.55", "max_rate": "0.60", "rate": "0.03"},
                         {"min_rate": "0.60", "max_rate": "0.65", "rate": "0.075"},
                         {"min_rate": "0.65", "max_rate": "0.70", "rate": "0.12"},
                         {"min_rate": "0.70", "max_rate": null, "rate": "0.15"}],
               "minimum_rate": "0.02", "minimum_years": 2}

A tranche with a coupon has no other return cap: the coupon *is* its return entitlement,
paid by the waterfall's ``return`` step like an ``annual_rate`` cap.

Coupon years run from the programme's start date: year 1 from the start date up to (not
including) its first anniversary, year 2 to the second, ... (an anniversary on 29 February
falls on 28 February). A year's rate is the band its *measured rate* falls in: the
verified ``banded_rate`` results of ``metric`` whose measurement period ends in that year,
achieved / measured (several results that year, e.g. several cohorts, are pooled), placed
in a band by the rules of outcomes.absolute_mechanisms (quantised to 0.0001, lower bound
included, upper excluded). In the first ``minimum_years`` years the rate is at least
``minimum_rate``, also below every band and while the year is not measured yet; after
them, a year below every band or not measured yet pays no coupon. A result verified later
changes the schedule computed from then on (schedules are always recomputed whole).

Money: simple interest on the outstanding principal, ACT/365 as ``annual_rate`` (a leap
coupon year counts 366/365): principal x days is accrued exactly per coupon year, and
the coupon due at a payment date is the sum over years of accrual x year rate / 365,
rounded to the cent half to even, minus the return already paid. 10 000 000,00 drawn for
a whole 365-day year measured at 72 % earns 15 %: 1 500 000,00. An unpaid coupon is still
due at the next payment; nothing accrues after the end date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any, ClassVar

from django.utils.translation import gettext as _

from outcomes import rule_json as js
from outcomes.absolute_mechanisms import check_bands, in_band, rate_bounds
from outcomes.rule_json import RuleError
from payments.rules.absolute import band_rate

DAYS_PER_YEAR = 365


@dataclass(frozen=True, slots=True)
class CouponBand:
    """The coupon ``rate`` (a fraction a year) when the measured rate is in [min, max)."""

    min_rate: Decimal
    max_rate: Decimal | None
    rate: Decimal

    @classmethod
    def from_dict(cls, data: Any, path: str) -> CouponBand:
        data = js.mapping(data, path)
        js.only_keys(data, {"min_rate", "max_rate", "rate"}, path)
        low, high = rate_bounds(dict(data), path)
        return cls(low, high, _rate(js.required(data, "rate", path), js.child(path, "rate")))

    def to_dict(self) -> dict[str, Any]:
        return {
            "min_rate": str(self.min_rate),
            "max_rate": js.dec(self.max_rate),
            "rate": str(self.rate),
        }


def _rate(value: Any, path: str) -> Decimal:
    rate = js.decimal(value, path)
    if not 0 <= rate < 1:
        raise RuleError(path, _('must be a fraction a year, at least 0 and below 1 ("0.15")'))
    return rate


@dataclass(frozen=True, slots=True)
class CouponCap:
    """A tranche's coupon terms and, for the engine, the rates measured each year.

    ``start`` is the first day of coupon year 1 and ``measured[k - 1]`` the measured
    rate of year k (None: not measured yet); both are the schedule's inputs, not terms,
    and ``to_dict`` leaves them out.
    """

    metric: str
    bands: tuple[CouponBand, ...]
    minimum_rate: Decimal = Decimal(0)
    minimum_years: int = 0
    start: date | None = None
    measured: tuple[Decimal | None, ...] = ()
    kind: ClassVar[str] = "coupon"

    @classmethod
    def from_dict(cls, data: Any, path: str) -> CouponCap:
        data = js.mapping(data, path)
        js.only_keys(data, {"metric", "bands", "minimum_rate", "minimum_years"}, path)
        metric = js.text(js.required(data, "metric", path), js.child(path, "metric"))
        bands_path = js.child(path, "bands")
        bands = tuple(
            CouponBand.from_dict(band, f"{bands_path}[{i}]")
            for i, band in enumerate(js.sequence(js.required(data, "bands", path), bands_path))
        )
        if not bands:
            raise RuleError(bands_path, _("must list at least one band"))
        check_bands(bands, bands_path, value="rate")
        minimum_path = js.child(path, "minimum_rate")
        minimum = js.optional(_rate, data.get("minimum_rate"), minimum_path) or Decimal(0)
        years_path = js.child(path, "minimum_years")
        years = js.optional(js.count, data.get("minimum_years"), years_path) or 0
        if (minimum > 0) != (years > 0):
            raise RuleError(path, _("give minimum_rate and minimum_years together, or neither"))
        return cls(metric=metric, bands=bands, minimum_rate=minimum, minimum_years=years)

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "bands": [band.to_dict() for band in self.bands],
            "minimum_rate": str(self.minimum_rate),
            "minimum_years": self.minimum_years,
        }

    def rate_for_year(self, year: int) -> Decimal:
        """Return the coupon rate of coupon year ``year`` (1 is the first)."""
        measured = self.measured[year - 1] if 0 < year <= len(self.measured) else None
        rate = Decimal(0)
        if measured is not None:
            band = next((b for b in self.bands if in_band(measured, b.min_rate, b.max_rate)), None)
            rate = band.rate if band else Decimal(0)
        if year <= self.minimum_years:
            rate = max(rate, self.minimum_rate)
        return rate

    def boundary(self, year: int) -> int:
        """Return the ordinal of the first day of coupon year ``year + 1``."""
        assert self.start is not None
        return anniversary(self.start, year).toordinal()

    def year_of(self, day: int) -> int:
        """Return the coupon year of ordinal ``day``; days before the start are year 1."""
        if self.start is None:
            return 1
        year = max(1, date.fromordinal(day).year - self.start.year)
        while year > 1 and day < self.boundary(year - 1):
            year -= 1
        while day >= self.boundary(year):
            year += 1
        return year

    def accrue(self, accrual: dict[int, int], principal: int, start: int, end: int) -> None:
        """Add principal x days from ordinal ``start`` to ``end`` to ``accrual`` per year."""
        if end <= start or principal == 0:
            return
        if self.start is None:
            accrual[1] = accrual.get(1, 0) + principal * (end - start)
            return
        year = self.year_of(start)
        while start < end:
            stop = min(end, self.boundary(year))
            accrual[year] = accrual.get(year, 0) + principal * (stop - start)
            start, year = stop, year + 1

    def due(self, accrual: dict[int, int]) -> int:
        """Return the coupon accrued, rounded to the cent half to even (exact until then)."""
        total = sum(
            (Fraction(a) * Fraction(self.rate_for_year(year)) for year, a in accrual.items()),
            Fraction(0),
        )
        return round(total / DAYS_PER_YEAR)


def anniversary(start: date, years: int) -> date:
    """Return ``start`` ``years`` years later; 29 February falls on 28 February."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return start.replace(year=start.year + years, day=28)


def measured_by_year(
    start: date, results: list[tuple[date, int, int]], years: int
) -> tuple[Decimal | None, ...]:
    """Return the measured rate of each coupon year from (period end, achieved, measured).

    A result belongs to the year its measurement period ends in; a year's results are
    pooled (achieved and measured added) and the rate quantised as ``banded_rate`` does.
    """
    pooled: dict[int, tuple[int, int]] = {}
    cap = CouponCap(metric="", bands=(), start=start)
    for ends_on, achieved, measured in results:
        if ends_on < start:
            continue
        year = cap.year_of(ends_on.toordinal())
        a, m = pooled.get(year, (0, 0))
        pooled[year] = (a + achieved, m + measured)
    return tuple(
        band_rate(*pooled[year], f"coupon year {year}") if year in pooled else None
        for year in range(1, max([years, *pooled]) + 1)
    )
