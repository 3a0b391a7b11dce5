"""Repayment schedule: run every dated event of a deal through the waterfall.

Events are processed in date order. On one date: drawdowns first (capital
drawn that day counts in the pro-rata weights of a payment the same day,
and accrues nothing for that day), then the payments received that day in
the order given, then, on the end date, the guarantee calls. One
``InvestorLine`` is written per investor per event date.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

from payments.engine.waterfall import (
    Distribution,
    GuaranteeCall,
    InvalidTermsError,
    Step,
    Tranche,
    TrancheBook,
    WaterfallState,
)

__all__ = [
    "InvestorLine",
    "PaymentReceived",
    "RepaymentSchedule",
    "Residual",
    "compute_schedule",
]

Flows = list[tuple[date, int]]


class PaymentReceived(NamedTuple):
    """An actual outcome payment received from the payer(s)."""

    on: date
    amount: int


class InvestorLine(NamedTuple):
    """One investor's movements in one tranche on one event date, with running totals.

    ``drawn`` is capital paid in that day (for a guarantor: what a call
    took); ``guarantee_received`` is principal made good by a guarantee.
    """

    on: date
    tranche: str
    investor: str
    drawn: int
    principal_repaid: int
    return_paid: int
    guarantee_received: int
    outstanding_principal: int
    drawn_to_date: int
    cumulative_principal_repaid: int
    cumulative_return_paid: int
    cumulative_guarantee_received: int


class Residual(NamedTuple):
    """What a payment left after every step: kept by, or not claimed from, the payer."""

    on: date
    amount: int


@dataclass(frozen=True, slots=True)
class RepaymentSchedule:
    """The outcome of ``compute_schedule``: every amount an exact int of minor units."""

    end_date: date | None
    payments: tuple[PaymentReceived, ...]
    lines: tuple[InvestorLine, ...]
    distributions: tuple[Distribution, ...]
    residuals: tuple[Residual, ...]
    guarantee_calls: tuple[GuaranteeCall, ...]

    @property
    def total_received(self) -> int:
        """Return the sum of payments received."""
        return sum(p.amount for p in self.payments)

    @property
    def total_distributed(self) -> int:
        """Return the sum of all waterfall distributions."""
        return sum(d.amount for d in self.distributions)

    @property
    def total_residual(self) -> int:
        """Return the sum of residuals."""
        return sum(r.amount for r in self.residuals)

    def investor_flows(self) -> dict[str, Flows]:
        """Return each investor's net dated cash flows, all tranches together.

        Drawdowns (and guarantee calls paid) are negative; principal, return
        and guarantee money received are positive; one flow per date.
        """
        return self._flows_by(lambda line: line.investor)

    def position_flows(self) -> dict[tuple[str, str], Flows]:
        """Return net dated cash flows per (tranche, investor) position."""
        return self._flows_by(lambda line: (line.tranche, line.investor))

    def _flows_by(self, key: Callable[[InvestorLine], Any]) -> dict[Any, Flows]:
        nets: dict[Any, dict[date, int]] = {}
        for line in self.lines:
            by_date = nets.setdefault(key(line), {})
            net = line.principal_repaid + line.return_paid + line.guarantee_received - line.drawn
            if net:
                by_date[line.on] = by_date.get(line.on, 0) + net
        return {k: sorted(v.items()) for k, v in nets.items()}

    def to_json_dict(self) -> dict[str, Any]:
        """Return a canonical JSON-ready dict: sorted keys, int amounts, ISO dates."""
        return {
            "distributions": [_record(d) for d in self.distributions],
            "end_date": _jsonable(self.end_date),
            "guarantee_calls": [_record(c) for c in self.guarantee_calls],
            "lines": [_record(line) for line in self.lines],
            "payments": [_record(p) for p in self.payments],
            "residuals": [_record(r) for r in self.residuals],
            "totals": {
                "distributed": self.total_distributed,
                "received": self.total_received,
                "residual": self.total_residual,
            },
        }


def _jsonable(value: object) -> object:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    return value


def _record(record: NamedTuple) -> dict[str, object]:
    return {k: _jsonable(v) for k, v in sorted(record._asdict().items())}


def _check_payment(payment: PaymentReceived) -> None:
    amount = payment.amount
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        raise InvalidTermsError(
            f"payment on {payment.on} must be a non-negative int, got {amount!r}"
        )
    if not isinstance(payment.on, date):
        raise InvalidTermsError(f"payment date {payment.on!r} is not a date")


def compute_schedule(
    *,
    tranches: Sequence[Tranche],
    payments: Sequence[PaymentReceived],
    steps: Sequence[Step],
    end_date: date | None = None,
) -> RepaymentSchedule:
    """Distribute every payment received and return the full repayment schedule.

    ``end_date`` is the programme end or the early-termination date: return
    stops accruing then and guarantees are called on the shortfall left
    after that day's payments. Payments dated later (a late verification)
    are still distributed, e.g. to reimburse guarantors.
    """
    state = WaterfallState.open(tranches, steps, accrual_end=end_date)
    for payment in payments:
        _check_payment(payment)
    drawdowns = sorted(
        (
            (drawdown.on, t, i, k, tranche.id, drawdown)
            for t, tranche in enumerate(tranches)
            for i, investor in enumerate(tranche.investors)
            for k, drawdown in enumerate(investor.drawdowns)
        ),
        key=lambda row: row[:4],
    )
    if end_date is not None and drawdowns and drawdowns[-1][0] > end_date:
        raise InvalidTermsError(f"capital drawn after the end date {end_date}")
    by_date: dict[date, list[int]] = {}
    for payment in payments:
        by_date.setdefault(payment.on, []).append(payment.amount)
    event_dates = sorted(
        {row[0] for row in drawdowns} | set(by_date) | ({end_date} if end_date else set())
    )

    books = list(state.books.values())
    before = [_totals(book) for book in books]
    lines: list[InvestorLine] = []
    distributions: list[Distribution] = []
    residuals: list[Residual] = []
    calls: list[GuaranteeCall] = []
    next_drawdown = 0
    for on in event_dates:
        while next_drawdown < len(drawdowns) and drawdowns[next_drawdown][0] == on:
            _, _, i, _, tranche_id, drawdown = drawdowns[next_drawdown]
            state.draw(tranche_id, i, drawdown)
            next_drawdown += 1
        for amount in by_date.get(on, ()):
            paid, left = state.distribute(on, amount)
            distributions.extend(paid)
            residuals.append(Residual(on, left))
        if on == end_date:
            calls.extend(state.call_guarantees(on))
        for b, book in enumerate(books):
            now = _totals(book)
            lines.extend(_lines(on, book.tranche.id, book.ids, before[b], now))
            before[b] = now

    return RepaymentSchedule(
        end_date=end_date,
        payments=tuple(sorted(payments, key=lambda p: p.on)),
        lines=tuple(lines),
        distributions=tuple(distributions),
        residuals=tuple(residuals),
        guarantee_calls=tuple(calls),
    )


_Totals = tuple[list[int], list[int], list[int], list[int]]


def _totals(book: TrancheBook) -> _Totals:
    return (book.drawn[:], book.repaid[:], book.return_paid[:], book.guaranteed[:])


def _lines(
    on: date, tranche: str, ids: list[str], before: _Totals, now: _Totals
) -> list[InvestorLine]:
    """Return one line per investor from running totals before and after ``on``."""
    return [
        InvestorLine(
            on,
            tranche,
            investor,
            d - d0,
            r - r0,
            x - x0,
            g - g0,
            d - r - g,
            d,
            r,
            x,
            g,
        )
        for investor, d0, r0, x0, g0, d, r, x, g in zip(ids, *before, *now, strict=True)
    ]
