"""Repayment schedule: run every dated event of a deal through the waterfall.

Events are processed in date order. On one date: drawdowns first (capital
drawn that day counts in the pro-rata weights of a payment the same day,
and accrues nothing for that day), then the payments received that day in
the order given, then any principal redemption due that day (payments.engine.redemption), then, on
the end date, the guarantee calls. One ``InvestorLine`` is written per investor per
event date.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any, NamedTuple

from payments.engine.redemption import Redemption, RedemptionPayment, redeem
from payments.engine.terms import (
    Distribution,
    GuaranteeCall,
    InvalidTermsError,
    Step,
    Tranche,
    TrancheKind,
)
from payments.engine.waterfall import TrancheBook, WaterfallState

__all__ = [
    "InvestorLine",
    "PaymentReceived",
    "RepaymentSchedule",
    "Residual",
    "Snapshot",
    "compute_schedule",
    "principal_repaid_on",
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


@dataclass(frozen=True)
class Snapshot:
    """Running totals of one tranche after an event date, one slot per investor."""

    tranche: str
    ids: tuple[str, ...]
    drawn: tuple[int, ...]
    repaid: tuple[int, ...]
    return_paid: tuple[int, ...]
    guaranteed: tuple[int, ...]


@dataclass(frozen=True)
class RepaymentSchedule:
    """The outcome of ``compute_schedule``: every amount an exact int of minor units.

    The engine keeps columns of running totals per event date
    (``snapshots``); ``lines`` and ``position_flows`` are built from them on
    first use, so a caller that needs only metrics does not pay for
    a hundred thousand line objects.
    """

    end_date: date | None
    payments: tuple[PaymentReceived, ...]
    distributions: tuple[Distribution, ...]
    residuals: tuple[Residual, ...]
    guarantee_calls: tuple[GuaranteeCall, ...]
    snapshots: tuple[tuple[date, tuple[Snapshot, ...]], ...]
    # Every signed movement (day ordinal, amount) per (tranche, investor), in
    # event order; ``position_flows`` nets them per date.
    movements: dict[tuple[str, str], tuple[tuple[int, int], ...]]
    redemptions: tuple[RedemptionPayment, ...] = ()

    @cached_property
    def lines(self) -> tuple[InvestorLine, ...]:
        """Return one line per investor per tranche per event date, in date order."""
        lines: list[InvestorLine] = []
        new = tuple.__new__  # NamedTuple's own __new__ is several times slower.
        previous: dict[str, Snapshot] = {}
        for on, books in self.snapshots:
            for now in books:
                before = previous.get(now.tranche)
                zero = (0,) * len(now.ids)
                d0s, r0s, x0s, g0s = (
                    (before.drawn, before.repaid, before.return_paid, before.guaranteed)
                    if before
                    else (zero, zero, zero, zero)
                )
                tranche = now.tranche
                for investor, d0, r0, x0, g0, d, r, x, g in zip(
                    now.ids,
                    d0s,
                    r0s,
                    x0s,
                    g0s,
                    now.drawn,
                    now.repaid,
                    now.return_paid,
                    now.guaranteed,
                    strict=True,
                ):
                    row = (on, tranche, investor, d - d0, r - r0, x - x0, g - g0)
                    lines.append(new(InvestorLine, (*row, d - r - g, d, r, x, g)))
                previous[tranche] = now
        return tuple(lines)

    @cached_property
    def position_flows(self) -> dict[tuple[str, str], Flows]:
        """Return net dated cash flows per (tranche, investor) position.

        Drawdowns (and guarantee calls paid) are negative; principal, return
        and guarantee money received are positive; one flow per date.
        """
        flows: dict[tuple[str, str], Flows] = {}
        for position, movements in self.movements.items():
            net: list[tuple[int, int]] = []
            for day, amount in movements:
                if net and net[-1][0] == day:
                    net[-1] = (day, net[-1][1] + amount)
                else:
                    net.append((day, amount))
            flows[position] = [(date.fromordinal(day), a) for day, a in net if a]
        return flows

    def final_lines(self) -> tuple[InvestorLine, ...]:
        """Return the last line of every position: its totals at the end."""
        if not self.snapshots:
            return ()
        on, books = self.snapshots[-1]
        return tuple(
            InvestorLine(on, book.tranche, investor, 0, 0, 0, 0, d - r - g, d, r, x, g)
            for book in books
            for investor, d, r, x, g in zip(
                book.ids, book.drawn, book.repaid, book.return_paid, book.guaranteed, strict=True
            )
        )

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
        """Return each investor's net dated cash flows, all its tranches together.

        Drawdowns (and guarantee calls paid) are negative; principal, return
        and guarantee money received are positive; one flow per date.
        """
        positions: dict[str, list[Flows]] = {}
        for (_, investor), flows in self.position_flows.items():
            positions.setdefault(investor, []).append(flows)
        merged: dict[str, Flows] = {}
        for investor, lists in positions.items():
            if len(lists) == 1:
                merged[investor] = list(lists[0])
                continue
            by_date: dict[date, int] = {}
            for flows in lists:
                for on, amount in flows:
                    by_date[on] = by_date.get(on, 0) + amount
            merged[investor] = sorted((on, a) for on, a in by_date.items() if a)
        return merged

    def to_json_dict(self) -> dict[str, Any]:
        """Return a canonical JSON-ready dict: sorted keys, int amounts, ISO dates.

        "redemptions" only when the schedule books one: every other document keeps its
        bytes.
        """
        data = {
            "distributions": [_record(d) for d in self.distributions],
            "end_date": _jsonable(self.end_date),
            "guarantee_calls": [_record(c) for c in self.guarantee_calls],
            "lines": [_proposed(_record(line)) for line in self.lines],
            "payments": [_record(p) for p in self.payments],
            "residuals": [_record(r) for r in self.residuals],
            "totals": {
                "distributed": self.total_distributed,
                "received": self.total_received,
                "residual": self.total_residual,
            },
        }
        if self.redemptions:
            data["redemptions"] = [_record(r) for r in self.redemptions]
        return data


def _jsonable(value: object) -> object:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    return value


def _record(record: NamedTuple) -> dict[str, object]:
    return {k: _jsonable(v) for k, v in sorted(record._asdict().items())}


# What a line of the schedule names as paid is what the waterfall proposes to pay: the
# ledger records what was paid (payments.returns). The document says so in its keys.
PROPOSED_KEYS = {
    "principal_repaid": "proposed_principal_repayment",
    "return_paid": "proposed_return_payment",
    "guarantee_received": "proposed_guarantee_payment",
    "cumulative_principal_repaid": "cumulative_proposed_principal_repayment",
    "cumulative_return_paid": "cumulative_proposed_return_payment",
    "cumulative_guarantee_received": "cumulative_proposed_guarantee_payment",
}


def _proposed(record: dict[str, object]) -> dict[str, object]:
    return dict(sorted((PROPOSED_KEYS.get(k, k), v) for k, v in record.items()))


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
    redemptions: Sequence[Redemption] = (),
) -> RepaymentSchedule:
    """Distribute every payment received and return the full repayment schedule.

    ``end_date`` is the programme end or the early-termination date: return
    stops accruing then and guarantees are called on the shortfall left
    after that day's payments. Payments dated later (a late verification)
    are still distributed, e.g. to reimburse guarantors. Each of ``redemptions`` is
    booked on its date, after that day's payments and before the guarantee calls.
    """
    state = WaterfallState.open(tranches, steps, accrual_end=end_date)
    redeemed: dict[date, list[Redemption]] = {}
    for redemption in redemptions:
        book = state.books.get(redemption.tranche)
        if book is None or book.tranche.kind is TrancheKind.GUARANTEE:
            raise InvalidTermsError(f"no tranche {redemption.tranche!r} to redeem")
        redeemed.setdefault(redemption.on, []).append(redemption)
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
        {row[0] for row in drawdowns}
        | set(by_date)
        | set(redeemed)
        | ({end_date} if end_date else set())
    )

    books = list(state.books.values())
    snapshots: list[tuple[date, tuple[Snapshot, ...]]] = []
    distributions: list[Distribution] = []
    residuals: list[Residual] = []
    calls: list[GuaranteeCall] = []
    booked: list[RedemptionPayment] = []
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
        for redemption in redeemed.get(on, ()):
            day = on.toordinal()
            if state.accrual_end is not None:
                day = min(day, state.accrual_end)
            record = redeem(state.books[redemption.tranche], redemption, day)
            booked.extend([record] if record else [])
        if on == end_date:
            calls.extend(state.call_guarantees(on))
        snapshots.append((on, tuple(_snapshot(book) for book in books)))

    return RepaymentSchedule(
        end_date=end_date,
        payments=tuple(sorted(payments, key=lambda p: p.on)),
        distributions=tuple(distributions),
        residuals=tuple(residuals),
        guarantee_calls=tuple(calls),
        snapshots=tuple(snapshots),
        movements={
            (book.tranche.id, investor): _movements(book, i)
            for book in books
            for i, investor in enumerate(book.ids)
        },
        redemptions=tuple(booked),
    )


def principal_repaid_on(schedule: RepaymentSchedule, tranches: Sequence[Tranche]) -> date | None:
    """Return the date the investors' principal is repaid, or None if it is not.

    The first event date, on or after the last drawdown of a non-guarantee tranche, after
    whose events every investor of those tranches has had all its drawn capital repaid by
    the waterfall (something drawn). Counting from the last drawdown makes the date a
    fixed point of the savings switch (payments.schedule_builder): payments dated up to
    it never depend on what is priced after it. Principal made good by a guarantee call
    is not repaid: the switch waits for the payments.
    """
    lenders = {t.id for t in tranches if t.kind is not TrancheKind.GUARANTEE}
    last_drawn = max(
        (
            drawdown.on
            for tranche in tranches
            if tranche.id in lenders
            for investor in tranche.investors
            for drawdown in investor.drawdowns
        ),
        default=None,
    )
    if last_drawn is None:
        return None
    for on, books in schedule.snapshots:
        if on < last_drawn:
            continue
        drawn = sum(sum(b.drawn) for b in books if b.tranche in lenders)
        repaid = sum(sum(b.repaid) for b in books if b.tranche in lenders)
        # Nobody is repaid above what they drew, so equal totals mean every investor.
        if drawn > 0 and repaid == drawn:
            return on
    return None


def _movements(book: TrancheBook, i: int) -> tuple[tuple[int, int], ...]:
    """Return investor ``i``'s movements, success fees merged in by date."""
    if not book.fee_flows[i]:
        return tuple(book.flows[i])
    # A stable sort: on one day, the capped movements first, then the fees.
    return tuple(sorted(book.flows[i] + book.fee_flows[i], key=lambda flow: flow[0]))


def _snapshot(book: TrancheBook) -> Snapshot:
    return Snapshot(
        tranche=book.tranche.id,
        ids=tuple(book.ids),
        drawn=tuple(book.drawn),
        repaid=tuple(book.repaid),
        return_paid=tuple(book.return_paid),
        guaranteed=tuple(book.guaranteed),
    )
