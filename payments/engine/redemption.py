"""Principal redemption at maturity: in full above a measured rate, else at least a floor.

    "redemption": {"maturity": "2030-12-31", "metric": "restoration",
                   "full_at_rate": "0.60", "floor_percent": "50",
                   "payer": "departement-13"}

Capital protection in a development impact bond: at ``maturity`` the tranche's investors
are owed back 100 % of the principal they drew when the *rate at maturity* of the
``banded_rate`` metric ``metric`` is at least ``full_at_rate``, and ``floor_percent`` % of
it otherwise. What the waterfall has not repaid of that by then is a *redemption payment*
the ``payer`` owes (a party of the programme: an outcome payer, a donor, a foundation).

- The rate at maturity is the metric's verified results whose measurement period ends on
  or before maturity, pooled (achieved and measured added over every period and cohort),
  quantised to 0.0001 as ``banded_rate`` does (payments.rules.absolute.band_rate), and
  compared with ``full_at_rate``, which it meets when equal. Nothing measured by maturity:
  the floor.
- Owed: ``percent`` x principal drawn by maturity, rounded to the cent half up once for
  the tranche (outcomes.mechanisms.to_cents), less what came back before: principal repaid
  by the waterfall and principal made good by a guarantee, up to and including the
  maturity date's own payments. Return (interest, coupon, success fees) does not count:
  the floor is on principal. Never negative: a tranche repaid above the floor is owed
  nothing more.
- The payment is split between the investors by commitment with ``sib.money.allocate``
  (each at most its outstanding principal, the rest shared again: the waterfall's
  ``split_capped``) and booked as principal repaid on the maturity date, after that day's
  payments and before any guarantee call: a guarantee covers only what the floor leaves
  outstanding, and a payment received later repays only the principal still outstanding,
  so nothing is paid twice.

Early redemption: ``"early": [{"year": 4, "percent": "75"}]`` gives the percent owed when
the programme is redeemed early (a variation ``early_redemption``) in a programme year,
counted from the programme's start date as coupon years are; a year not listed owes the
floor. Owed, split and booked as at maturity, on the redemption date
(payments.coupon_inputs.tranche_redemptions).

100 000,00 € drawn, rate at maturity 48 % below 60 %: the floor, 50 % = 50 000,00 €; the
waterfall repaid 30 000,00 €: the payer owes 20 000,00 €. At 62 %: 100 000,00 € less
30 000,00 €, the payer owes 70 000,00 €.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from django.utils.translation import gettext as _

from outcomes import rule_json as js
from outcomes.mechanisms import HUNDRED, to_cents
from outcomes.rule_json import RuleError
from payments.engine.coupon import anniversary
from payments.engine.waterfall import TrancheBook, split_capped
from payments.rules.absolute import band_rate

KEYS = {"maturity", "metric", "full_at_rate", "floor_percent", "payer"}


def _percent(value: Any, path: str) -> Decimal:
    percent = js.decimal(value, path)
    if not 0 <= percent <= HUNDRED:
        raise RuleError(path, _('must be a percentage from 0 to 100 ("50")'))
    return percent


def _early(data: Any, path: str) -> tuple[tuple[int, Decimal], ...]:
    """Read ``early``: [{"year": 4, "percent": "75"}, ...], each year once."""
    early: list[tuple[int, Decimal]] = []
    for i, item in enumerate(js.sequence(data, path)):
        where = f"{path}[{i}]"
        item = js.mapping(item, where)
        js.only_keys(item, {"year", "percent"}, where)
        year_path = js.child(where, "year")
        year = js.count(js.required(item, "year", where), year_path)
        if year < 1:
            raise RuleError(year_path, _("must be a year of the programme, 1 or more"))
        if year in dict(early):
            raise RuleError(year_path, _("year %(year)s is given twice") % {"year": year})
        early.append(
            (year, _percent(js.required(item, "percent", where), js.child(where, "percent")))
        )
    return tuple(sorted(early))


@dataclass(frozen=True, slots=True)
class RedemptionTerms:
    """A tranche's ``redemption`` term as the programme format states it."""

    maturity: date
    metric: str
    full_at_rate: Decimal
    floor_percent: Decimal
    payer: str
    # (programme year, percent of principal) on an early redemption, by year.
    early: tuple[tuple[int, Decimal], ...] = ()

    @classmethod
    def from_dict(cls, data: Any, path: str) -> RedemptionTerms:
        data = js.mapping(data, path)
        js.only_keys(data, KEYS | {"early"}, path)
        for key in sorted(KEYS):
            js.required(data, key, path)
        maturity_path = js.child(path, "maturity")
        try:
            maturity = date.fromisoformat(js.text(data["maturity"], maturity_path))
        except ValueError as exc:
            raise RuleError(maturity_path, _("must be a date, YYYY-MM-DD")) from exc
        rate_path = js.child(path, "full_at_rate")
        rate = js.decimal(data["full_at_rate"], rate_path)
        if not 0 < rate <= 1:
            raise RuleError(rate_path, _('must be a rate above 0 and at most 1 ("0.60")'))
        floor = _percent(data["floor_percent"], js.child(path, "floor_percent"))
        early = data.get("early")
        return cls(
            maturity=maturity,
            metric=js.text(data["metric"], js.child(path, "metric")),
            full_at_rate=rate,
            floor_percent=floor,
            payer=js.text(data["payer"], js.child(path, "payer")),
            early=() if early is None else _early(early, js.child(path, "early")),
        )

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "maturity": self.maturity.isoformat(),
            "metric": self.metric,
            "full_at_rate": str(self.full_at_rate),
            "floor_percent": str(self.floor_percent),
            "payer": self.payer,
        }
        if self.early:
            data["early"] = [{"year": y, "percent": str(p)} for y, p in self.early]
        return data

    def early_percent(self, year: int) -> Decimal:
        """Return the percent of principal owed on an early redemption in ``year``.

        A year ``early`` does not list owes the floor: the protection always holds.
        """
        return dict(self.early).get(year, self.floor_percent)

    def percent(self, rate: Decimal | None) -> Decimal:
        """Return the percent of principal owed back at a rate at maturity (None: none)."""
        if rate is not None and rate >= self.full_at_rate:
            return HUNDRED
        return self.floor_percent


def programme_year(start: date, on: date) -> int:
    """Return the programme year of ``on``: year 1 from ``start`` to its first anniversary
    (excluded), year 2 to the second, ... as coupon years count."""
    year = 1
    while anniversary(start, year) <= on:
        year += 1
    return year


def rate_at_maturity(maturity: date, results: list[tuple[date, int, int]]) -> Decimal | None:
    """Return the pooled rate of (period end, achieved, measured) ending by ``maturity``."""
    kept = [(a, m) for ends_on, a, m in results if ends_on <= maturity]
    if not kept:
        return None
    achieved, measured = sum(a for a, _ in kept), sum(m for _, m in kept)
    return band_rate(achieved, measured, "redemption.metric")


@dataclass(frozen=True, slots=True)
class Redemption:
    """The engine's input: on ``on``, ``percent`` % of ``tranche``'s principal is owed back.

    ``rate`` is the rate at maturity it was decided on (None: not measured), for the record.
    """

    tranche: str
    on: date
    percent: Decimal
    payer: str
    rate: Decimal | None = None


class RedemptionPayment(NamedTuple):
    """What ``payer`` owes ``tranche``'s investors on ``on`` to redeem their principal.

    ``owed`` is ``percent`` % of the ``principal`` drawn; ``repaid`` is what the waterfall
    and guarantees returned before; ``amount`` = owed - repaid (never below 0), split
    between the investors in ``paid_to``.
    """

    on: date
    tranche: str
    payer: str
    rate: str | None
    percent: str
    principal: int
    owed: int
    repaid: int
    amount: int
    paid_to: tuple[tuple[str, int], ...]


def redemption_owed(principal: int, percent: Decimal, repaid: int) -> tuple[int, int]:
    """Return (owed, amount due) for ``percent`` % of ``principal`` less ``repaid``.

    ``owed`` is rounded to the cent half up, once.
    """
    owed = to_cents(Decimal(principal) * percent / HUNDRED)
    return owed, max(0, owed - repaid)


def redeem(book: TrancheBook, redemption: Redemption, accrual_day: int) -> RedemptionPayment | None:
    """Book ``redemption`` on ``book`` as principal repaid; None when nothing is drawn.

    Return accrues up to ``accrual_day`` (the ordinal of the date, or of the end date
    before it) on the principal outstanding before the redemption, as before a payment.
    """
    book.accrue_all(accrual_day)
    principal = sum(book.drawn)
    if principal == 0:
        return None
    repaid = sum(book.repaid) + sum(book.guaranteed)
    owed, amount = redemption_owed(principal, redemption.percent, repaid)
    weights = [investor.commitment for investor in book.tranche.investors]
    parts = split_capped(amount, weights, book.outstanding())
    book.pay_out(book.repaid, parts, redemption.on.toordinal())
    return RedemptionPayment(
        on=redemption.on,
        tranche=book.tranche.id,
        payer=redemption.payer,
        rate=js.dec(redemption.rate),
        percent=str(redemption.percent),
        principal=principal,
        owed=owed,
        repaid=repaid,
        amount=sum(parts),
        paid_to=tuple((i, p) for i, p in zip(book.ids, parts, strict=True) if p),
    )
