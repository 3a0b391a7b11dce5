"""Mechanisms measured on absolute values: a difference of counts, a rate in bands.

``absolute_difference`` pays a price per unit of difference between the comparison group
and the treated group (per reconviction avoided: 150 in the comparison group, 120 in the
cohort, 30 avoided). ``banded_rate`` pays the amount of the band an absolute rate falls
in (a restoration rate A / (A + B): at least 70 % pays X, 65-70 % pays Y, ...).

Both follow outcomes.mechanisms: frozen data read with ``from_dict(data, path)`` (a
``RuleError`` names the JSON path) and written back with ``to_dict()``; money in minor
units, rates as fractions written as decimal strings. How verified results carry their
values is payments.outcome_payments; how they are priced, payments.rules.absolute.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from outcomes import rule_json as js
from outcomes.mechanism_terms import Direction, TierBasis
from outcomes.rule_json import RuleError


@dataclass(frozen=True, slots=True)
class AbsoluteDifferenceMechanism:
    """Pay ``price_per_unit`` per unit the treated group beats the comparison group by.

    The difference is comparison - treated when lower is better, treated - comparison
    when higher is better, in whole units. Nothing is paid for a difference of 0 or
    less, nor below ``threshold`` (units); at or above it, every unit pays, not only
    those above the threshold.
    """

    direction: Direction
    price_per_unit: int
    threshold: int | None = None

    kind = "absolute_difference"

    @classmethod
    def from_dict(cls, data: Any, path: str) -> AbsoluteDifferenceMechanism:
        data = js.mapping(data, path)
        js.only_keys(data, {"kind", "direction", "price_per_unit", "threshold"}, path)
        direction = js.enum(
            Direction, js.required(data, "direction", path), js.child(path, "direction")
        )
        price = js.money(
            js.required(data, "price_per_unit", path), js.child(path, "price_per_unit")
        )
        threshold = js.optional(js.count, data.get("threshold"), js.child(path, "threshold"))
        return cls(direction=direction, price_per_unit=price, threshold=threshold)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "direction": self.direction.value,
            "price_per_unit": self.price_per_unit,
            "threshold": self.threshold,
        }

    def difference(self, treated: int, comparison: int) -> int:
        """Return by how many units the treated group did better (negative: worse)."""
        if self.direction is Direction.LOWER_IS_BETTER:
            return comparison - treated
        return treated - comparison


@dataclass(frozen=True, slots=True)
class RateBand:
    """Pay ``amount`` when the rate is in [min_rate, max_rate); no max_rate: up to 100 %."""

    min_rate: Decimal
    max_rate: Decimal | None
    amount: int

    @classmethod
    def from_dict(cls, data: Any, path: str) -> RateBand:
        data = js.mapping(data, path)
        js.only_keys(data, {"min_rate", "max_rate", "amount"}, path)
        low, high = rate_bounds(data, path)
        amount = js.money(js.required(data, "amount", path), js.child(path, "amount"))
        return cls(min_rate=low, max_rate=high, amount=amount)

    def to_dict(self) -> dict[str, Any]:
        return {
            "min_rate": str(self.min_rate),
            "max_rate": js.dec(self.max_rate),
            "amount": self.amount,
        }

    def contains(self, rate: Decimal) -> bool:
        """Return whether the rate falls in this band (upper bound excluded)."""
        return in_band(rate, self.min_rate, self.max_rate)


def rate_bounds(data: dict[str, Any], path: str) -> tuple[Decimal, Decimal | None]:
    """Return a band's ``min_rate`` and ``max_rate`` (None: up to 100 %) read at ``path``.

    Shared with every band on an absolute rate (payments.engine.coupon's too).
    """
    low_path, high_path = js.child(path, "min_rate"), js.child(path, "max_rate")
    low = js.decimal(js.required(data, "min_rate", path), low_path)
    if not 0 <= low < 1:
        raise RuleError(low_path, _("must be at least 0 and below 1"))
    high = js.optional(js.decimal, data.get("max_rate"), high_path)
    # The upper bound is excluded: a top band ending at 1 would not pay a rate of
    # 100 %, which is never what a deal means.
    if high is not None and high >= 1:
        raise RuleError(high_path, _("must be below 1; leave it null for a band up to 100 %"))
    if high is not None and low >= high:
        raise RuleError(low_path, _("must be below max_rate"))
    return low, high


def in_band(rate: Decimal, low: Decimal, high: Decimal | None) -> bool:
    """Return whether ``rate`` is in [low, high): lower bound included, upper excluded."""
    return rate >= low and (high is None or rate < high)


@dataclass(frozen=True, slots=True)
class BandedRateMechanism:
    """Pay the amount of the band a cohort's rate falls in, per cohort or per participant.

    The rate is participants achieving / participants measured, quantised to 0.0001
    (``quantise_rate``) before it is placed in a band; below the lowest band nothing is
    paid. ``basis`` is required: a forgotten basis would pay a cohort's amount per
    participant, or the reverse, a factor of the cohort's size apart.
    """

    bands: tuple[RateBand, ...]
    basis: TierBasis

    kind = "banded_rate"

    @classmethod
    def from_dict(cls, data: Any, path: str) -> BandedRateMechanism:
        data = js.mapping(data, path)
        js.only_keys(data, {"kind", "bands", "basis"}, path)
        bands_path = js.child(path, "bands")
        bands = tuple(
            RateBand.from_dict(band, f"{bands_path}[{i}]")
            for i, band in enumerate(js.sequence(js.required(data, "bands", path), bands_path))
        )
        if not bands:
            raise RuleError(bands_path, _("must list at least one band"))
        check_bands(bands, bands_path)
        basis = js.enum(TierBasis, js.required(data, "basis", path), js.child(path, "basis"))
        return cls(bands=bands, basis=basis)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "bands": [band.to_dict() for band in self.bands],
            "basis": self.basis.value,
        }

    def band(self, rate: Decimal) -> RateBand | None:
        """Return the band the (quantised) rate falls in, or None below the lowest."""
        return next((band for band in self.bands if band.contains(rate)), None)


def check_bands(bands: Sequence[Any], path: str, value: str = "amount") -> None:
    """Refuse bands with gaps, overlaps, a bounded top band, or a better band paying less."""
    # Bands climb from the lowest, each starting where the one before ends, up to 100 %,
    # and never pay less for a better rate: a gap, or a top band ending below 100 %, would
    # pay nothing for a rate above a band that pays, and a better rate paying less would
    # reward under-reporting.
    for i in range(1, len(bands)):
        before, band = bands[i - 1], bands[i]
        here = f"{path}[{i}]"
        if before.max_rate is None or band.min_rate != before.max_rate:
            raise RuleError(
                js.child(here, "min_rate"),
                _(
                    "must equal bands[%(before)s].max_rate: list bands from the lowest, "
                    "without gaps or overlaps"
                )
                % {"before": i - 1},
            )
        if getattr(band, value) < getattr(before, value):
            message = _("must not be below bands[%(before)s].%(field)s") % {
                "before": i - 1,
                "field": value,
            }
            raise RuleError(js.child(here, value), message)
    last = len(bands) - 1
    if bands and bands[last].max_rate is not None:
        raise RuleError(
            js.child(f"{path}[{last}]", "max_rate"),
            _("leave it null: the top band runs to 100 %"),
        )
