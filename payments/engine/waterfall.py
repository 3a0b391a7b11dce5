"""Waterfall: how each outcome payment received is shared out.

Design overview
===============

Terms are data
--------------
A deal is described by two pieces of data, never by code (payments.engine.terms):

* ``Tranche`` rows: an id, a ``TrancheKind``, the investors in it (each with
  dated ``Drawdown``s), an optional return cap (``AnnualRateCap``,
  ``IrrCap`` or ``MultipleCap``) and, for a guarantee, the id of the tranche
  it ``protects``. A guarantor's cover is its ``commitment``.
* an ordered tuple of steps: ``Fees``, ``Principal``, ``Return``,
  ``GuaranteeReimbursement``, ``ProviderSuccessFee``,
  ``InvestorSuccessFee``, ``Recycle``, ``ResidualToPayer``. Seniority
  *is* the order: "senior principal, senior return, junior principal, ..."
  is a list, and a recoverable grant is
  repaid "only from surplus" because its ``Principal`` step comes after the
  senior steps.

Each payment received walks the steps in order. A step takes the smaller of
what is left and what is due to it; what is left after the last step (or at
``ResidualToPayer``) is the residual: it stays with the payer, or is not
claimed from it.

Sign convention
---------------
Every amount is a non-negative ``int`` of minor units; the record says the
direction. A ``Drawdown`` is money in from an investor, a ``Distribution``
is money out to a recipient, a ``GuaranteeCall`` is money from guarantors to
the protected investors. Only ``metrics`` turns these into signed cash flows
(drawdowns negative, distributions positive) for XIRR.

Splitting and rounding
----------------------
Within a step, money is split between the tranche's investors pro rata by
capital *drawn* to date, each investor capped at what is due to them
(outstanding principal, or return up to the cap). When someone's pro-rata
part exceeds their due, they get exactly their due and the rest is split
again among the others ("water-filling"). Every split goes through
``sib.money.allocate``, so the parts add up to the step total to the cent.

Return caps:

* ``AnnualRateCap``: simple interest (no compounding) on outstanding
  principal, ACT/365: actual days elapsed, always divided by 365, leap years
  included. Accrual is kept exact (an integer numerator of cents x days,
  so no rounding ever accumulates) and the accrued total is rounded to the
  cent once per payment date, half to even; what is due is that rounded
  total minus return already paid.
* ``IrrCap``: the most that can be paid at a date without the investor's
  XIRR (ACT/365, annual compounding, as pyxirr computes it) exceeding the
  cap, minus the outstanding principal that still has to come back; rounded
  *down* to the cent so that the cap is never crossed.
* ``MultipleCap``: total returned <= multiple x drawn, i.e. return <=
  (multiple - 1) x drawn, rounded down.
* ``CouponCap``: ``AnnualRateCap``'s accrual kept per coupon year, each year
  at the rate its measured rate gives (payments.engine.coupon).

Fee and success-fee shares are rounded half to even.

Investor success fees
---------------------
An ``InvestorSuccessFee`` step pays a tranche's investors a share of what
reaches it, as return *above* the cap: the share (half to even, then at most
what is left of the step's ``cap``) is split pro rata by commitment (by
capital drawn when the commitments are all zero) with ``sib.money.allocate``.
It is counted in the investors' return paid, flows, XIRR and MOIC, but kept
apart from what the cap measures (``success_fee`` and ``fee_flows``), so a
success fee never eats the capped return still due later.

Guarantees
----------
At the end date (programme end or early termination) each guarantee
covers the outstanding principal of the tranche it protects (its principal
loss, the shortfall), or ``cover_percent`` of it, up to its ``cover_limit``
and its guarantors' remaining commitments. A percentage of the shortfall is
rounded to the cent half up (``outcomes.mechanisms.to_cents``, the rounding
of every amount computed from a rate): 50 % of 400 000,01 € calls
200 000,01 €, never more than the shortfall itself. Junior tranches absorb
their losses first through the step order: they rank after the protected
tranche, so by the end date they have received nothing the protected
tranche was still owed. The call is split between guarantors by commitment
and paid to protected investors pro rata by their outstanding principal.
The called amount becomes the guarantee tranche's drawn capital, which
``GuaranteeReimbursement`` repays if money arrives later. Return stops
accruing at the end date.

Money clawed back (a negative payment) is not supported; a correction is a
new, lower schedule computed from corrected inputs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_FLOOR, Decimal, localcontext

from outcomes.mechanisms import HUNDRED, to_cents
from payments.engine.terms import (
    TRANCHE_STEPS,
    AnnualRateCap,
    CouponCap,
    Distribution,
    Drawdown,
    Fees,
    GuaranteeCall,
    InvalidTermsError,
    InvestorSuccessFee,
    IrrCap,
    MultipleCap,
    ProviderSuccessFee,
    Recycle,
    ResidualToPayer,
    Return,
    Step,
    Tranche,
    TrancheKind,
    require_amount,
    validate_terms,
)
from sib.money import allocate

DAYS_PER_YEAR = 365


def split_capped(amount: int, weights: Sequence[int], caps: Sequence[int]) -> list[int]:
    """Split up to ``amount`` pro rata by ``weights``, no part above its cap.

    Pays ``min(amount, sum of caps over positive weights)``; a part whose
    pro-rata share reaches its cap gets the cap and the rest is shared again
    among the others, until nobody is over.
    """
    n = len(weights)
    active = [i for i in range(n) if weights[i] > 0 and caps[i] > 0]
    room = sum(caps[i] for i in active)
    result = [0] * n
    if amount >= room:
        # Everybody is paid in full: the common case once a tranche is repaid.
        for i in active:
            result[i] = caps[i]
        return result
    remaining = amount
    while remaining > 0:
        parts = allocate(remaining, [weights[i] for i in active])
        full = [k for k, i in enumerate(active) if parts[k] >= caps[i]]
        if not full:
            for k, i in enumerate(active):
                result[i] = parts[k]
            break
        for k in full:
            i = active[k]
            result[i] = caps[i]
            remaining -= caps[i]
        taken = set(full)
        active = [i for k, i in enumerate(active) if k not in taken]
    return result


def _round_half_even(numerator: int, denominator: int) -> int:
    """Return numerator / denominator rounded to an int, half to even."""
    q, r = divmod(numerator, denominator)
    twice = 2 * r
    if twice > denominator or (twice == denominator and q % 2 == 1):
        q += 1
    return q


def _share_of(share: Decimal, amount: int) -> int:
    """Return ``share`` x ``amount`` rounded half to even."""
    p, q = share.as_integer_ratio()
    return _round_half_even(amount * p, q)


@dataclass(slots=True)
class TrancheBook:
    """The running position of one tranche: one list slot per investor.

    Columns rather than one object per investor keep a step over a
    thousand investors a handful of list comprehensions.
    """

    tranche: Tranche
    ids: list[str]
    drawn: list[int]
    repaid: list[int]
    guaranteed: list[int]
    return_paid: list[int]
    # Exact accrual under an annual-rate cap: sum of principal x days.
    accrual: list[int]
    accrued_to: list[int]
    # Signed flows (day ordinal, amount) per investor in event order: the
    # IRR cap needs them, and so do metrics.
    flows: list[list[tuple[int, int]]]
    # Under a coupon: principal x days per coupon year, per investor.
    coupon_accrual: list[dict[int, int]]
    # Investor success fees: in return_paid, but not what the cap measures.
    success_fee: list[int]
    fee_flows: list[list[tuple[int, int]]]

    @classmethod
    def open(cls, tranche: Tranche) -> TrancheBook:
        """Return an empty book for ``tranche``."""
        n = len(tranche.investors)
        return cls(
            tranche=tranche,
            ids=[investor.id for investor in tranche.investors],
            drawn=[0] * n,
            repaid=[0] * n,
            guaranteed=[0] * n,
            return_paid=[0] * n,
            accrual=[0] * n,
            accrued_to=[0] * n,
            flows=[[] for _ in range(n)],
            coupon_accrual=[{} for _ in range(n)],
            success_fee=[0] * n,
            fee_flows=[[] for _ in range(n)],
        )

    def outstanding(self) -> list[int]:
        """Return each investor's outstanding principal."""
        return [d - r - g for d, r, g in zip(self.drawn, self.repaid, self.guaranteed, strict=True)]

    def accrue(self, i: int, day: int) -> None:
        """Accrue investor ``i``'s interest up to ordinal ``day``."""
        start = self.accrued_to[i]
        if day > start:
            # Before the first drawdown the principal is 0, so the initial
            # "since day 0" stretch adds nothing.
            principal = self.drawn[i] - self.repaid[i] - self.guaranteed[i]
            if isinstance(self.tranche.cap, CouponCap):
                self.tranche.cap.accrue(self.coupon_accrual[i], principal, start, day)
            self.accrual[i] += principal * (day - start)
            self.accrued_to[i] = day

    def accrue_all(self, day: int) -> None:
        """Accrue every investor's interest up to ordinal ``day``."""
        if isinstance(self.tranche.cap, CouponCap):
            for i in range(len(self.ids)):
                self.accrue(i, day)
            return
        if not isinstance(self.tranche.cap, AnnualRateCap):
            return
        # One comprehension over the columns, not a call per investor: this
        # runs for every payment over every investor of the tranche.
        self.accrual = [
            a + (d - r - g) * (day - t) if day > t else a
            for a, d, r, g, t in zip(
                self.accrual, self.drawn, self.repaid, self.guaranteed, self.accrued_to, strict=True
            )
        ]
        self.accrued_to = [day if day > t else t for t in self.accrued_to]

    def draw(self, i: int, day: int, amount: int, accrual_end: int | None) -> None:
        """Record ``amount`` drawn from investor ``i`` on ordinal ``day``."""
        self.accrue(i, day if accrual_end is None else min(day, accrual_end))
        self.drawn[i] += amount
        self.flows[i].append((day, -amount))

    def pay_out(self, column: list[int], parts: list[int], day: int) -> None:
        """Add ``parts`` to ``column`` (repaid, return or guaranteed)."""
        flows = self.flows
        for i, part in enumerate(parts):
            if part:
                column[i] += part
                flows[i].append((day, part))

    def pay_success_fee(self, parts: list[int], day: int) -> None:
        """Add investor success fees: return paid, outside the cap's measure."""
        for i, part in enumerate(parts):
            if part:
                self.return_paid[i] += part
                self.success_fee[i] += part
                self.fee_flows[i].append((day, part))

    def capped_return_paid(self) -> list[int]:
        """Return each investor's return paid that counts against the cap."""
        if not any(self.success_fee):
            return self.return_paid
        return [x - f for x, f in zip(self.return_paid, self.success_fee, strict=True)]

    def return_due(self, day: int, limit: int) -> list[int]:
        """Return what each investor may still receive as return at ordinal ``day``.

        An uncapped tranche may take anything: each due is ``limit``.
        """
        cap = self.tranche.cap
        if isinstance(cap, AnnualRateCap):
            p, q = cap.rate.as_integer_ratio()
            denominator = q * DAYS_PER_YEAR
            self.accrue_all(day)
            return [
                max(0, _round_half_even(a * p, denominator) - paid)
                for a, paid in zip(self.accrual, self.capped_return_paid(), strict=True)
            ]
        if isinstance(cap, CouponCap):
            self.accrue_all(day)
            due = [cap.due(a) for a in self.coupon_accrual]
            return [max(0, d - x) for d, x in zip(due, self.capped_return_paid(), strict=True)]
        if isinstance(cap, MultipleCap):
            p, q = (cap.multiple - 1).as_integer_ratio()
            return [
                max(0, d * p // q - paid)
                for d, paid in zip(self.drawn, self.capped_return_paid(), strict=True)
            ]
        if isinstance(cap, IrrCap):
            outstanding = self.outstanding()
            return [
                max(0, _irr_headroom(cap.rate, flows, day) - owed)
                for flows, owed in zip(self.flows, outstanding, strict=True)
            ]
        return [limit] * len(self.ids)


def _irr_headroom(rate: Decimal, flows: list[tuple[int, int]], day: int) -> int:
    """Return the most payable on ``day`` with XIRR(flows + payment) <= ``rate``.

    That is minus the future value at ``rate`` of the flows so far, rounded
    down so that the cap is never crossed.
    """
    with localcontext() as ctx:
        ctx.prec = 40
        growth = 1 + rate
        value = Decimal(0)
        for on, amount in flows:
            value -= amount * growth ** (Decimal(day - on) / DAYS_PER_YEAR)
        return int(value.to_integral_value(rounding=ROUND_FLOOR))


@dataclass(slots=True)
class WaterfallState:
    """The running books of a deal while payments are distributed in date order."""

    steps: tuple[Step, ...]
    books: dict[str, TrancheBook]
    step_paid: list[int]
    accrual_end: int | None = None

    @classmethod
    def open(
        cls, tranches: Sequence[Tranche], steps: Sequence[Step], accrual_end: date | None = None
    ) -> WaterfallState:
        """Validate the terms and return empty books."""
        validate_terms(tranches, steps)
        return cls(
            steps=tuple(steps),
            books={tranche.id: TrancheBook.open(tranche) for tranche in tranches},
            step_paid=[0] * len(steps),
            accrual_end=accrual_end.toordinal() if accrual_end else None,
        )

    def _accrual_day(self, on: date) -> int:
        day = on.toordinal()
        return day if self.accrual_end is None else min(day, self.accrual_end)

    def _accrue_all(self, on: date) -> None:
        day = self._accrual_day(on)
        for book in self.books.values():
            book.accrue_all(day)

    def draw(self, tranche: str, investor_index: int, drawdown: Drawdown) -> None:
        """Record a drawdown."""
        self.books[tranche].draw(
            investor_index, drawdown.on.toordinal(), drawdown.amount, self.accrual_end
        )

    def distribute(self, on: date, amount: int) -> tuple[list[Distribution], int]:
        """Run one payment received through the steps; return distributions and residual."""
        require_amount(amount, "payment")
        day = on.toordinal()
        # Interest up to today runs on the principal outstanding before
        # today's repayments, so accrue before any step changes it.
        self._accrue_all(on)
        left = amount
        out: list[Distribution] = []
        for index, step in enumerate(self.steps):
            if left == 0 or isinstance(step, ResidualToPayer):
                break
            if isinstance(step, TRANCHE_STEPS):
                book = self.books[step.tranche]
                if isinstance(step, Return):
                    due = book.return_due(self._accrual_day(on), left)
                    column = book.return_paid
                else:
                    due = book.outstanding()
                    column = book.repaid
                parts = split_capped(left, book.drawn, due)
                book.pay_out(column, parts, day)
                tranche, kind = book.tranche.id, step.kind
                for investor, part in zip(book.ids, parts, strict=True):
                    if part:
                        # tuple.__new__ skips NamedTuple's slow keyword-aware __new__.
                        row = (on, index, kind, tranche, investor, part)
                        out.append(tuple.__new__(Distribution, row))
                left -= sum(parts)
                continue
            if isinstance(step, InvestorSuccessFee):
                left -= self._pay_investor_success_fee(on, index, step, left, out)
                continue
            paid = self._pay_named_step(index, step, left)
            if paid:
                self.step_paid[index] += paid
                out.append(Distribution(on, index, step.kind, None, step.recipient, paid))
                left -= paid
        return out, left

    def _pay_investor_success_fee(
        self, on: date, index: int, step: InvestorSuccessFee, left: int, out: list[Distribution]
    ) -> int:
        """Pay ``step``'s share of ``left`` to its tranche's investors; return the total."""
        book = self.books[step.tranche]
        due = _share_of(step.share, left)
        if step.cap is not None:
            due = min(due, step.cap - self.step_paid[index])
        weights = [investor.commitment for investor in book.tranche.investors]
        if not any(weights):
            weights = list(book.drawn)
        due = max(0, min(due, left))
        if due == 0 or not any(weights):
            return 0
        parts = allocate(due, weights)
        book.pay_success_fee(parts, on.toordinal())
        self.step_paid[index] += due
        for investor, part in zip(book.ids, parts, strict=True):
            if part:
                out.append(Distribution(on, index, step.kind, book.tranche.id, investor, part))
        return due

    def _pay_named_step(self, index: int, step: Step, left: int) -> int:
        """Return what a fee, success-fee or recycling step takes from ``left``."""
        if isinstance(step, Fees):
            due = step.amount if step.amount else _share_of(step.share, left)
            limit = step.cap
        elif isinstance(step, ProviderSuccessFee):
            due = _share_of(step.share, left)
            limit = step.cap
        elif isinstance(step, Recycle):
            due, limit = left, step.limit
        else:  # pragma: no cover - validate_terms rejects anything else
            raise InvalidTermsError(f"unknown step {step!r}")
        if limit is not None:
            due = min(due, limit - self.step_paid[index])
        return max(0, min(due, left))

    def call_guarantees(self, on: date) -> list[GuaranteeCall]:
        """Call every guarantee on its protected tranche's shortfall at ``on``."""
        day = on.toordinal()
        self._accrue_all(on)
        calls: list[GuaranteeCall] = []
        for book in self.books.values():
            tranche = book.tranche
            if tranche.kind is not TrancheKind.GUARANTEE:
                continue
            assert tranche.protects is not None
            protected = self.books[tranche.protects]
            owed = protected.outstanding()
            shortfall = sum(owed)
            amount = guarantee_due(tranche, shortfall, called=sum(book.drawn))
            if amount <= 0:
                continue
            by_guarantor = allocate(amount, [inv.commitment for inv in tranche.investors])
            for i, part in enumerate(by_guarantor):
                if part:
                    book.draw(i, day, part, self.accrual_end)
            to_investors = split_capped(amount, owed, owed)
            protected.pay_out(protected.guaranteed, to_investors, day)
            calls.append(
                GuaranteeCall(
                    on=on,
                    tranche=tranche.id,
                    protects=protected.tranche.id,
                    shortfall=shortfall,
                    amount=amount,
                    paid_by=_nonzero(book.ids, by_guarantor),
                    paid_to=_nonzero(protected.ids, to_investors),
                )
            )
        return calls


def guarantee_due(tranche: Tranche, shortfall: int, *, called: int = 0) -> int:
    """Return what a guarantee owes on ``shortfall``, less the ``called`` it paid already.

    ``cover_percent`` of the shortfall, rounded to the cent half up, at most the
    ``cover_limit`` and the guarantors' commitments.
    """
    due = shortfall
    if tranche.cover_percent is not None:
        due = to_cents(shortfall * tranche.cover_percent / HUNDRED)
    room = tranche.cover
    if tranche.cover_limit is not None:
        room = min(room, tranche.cover_limit)
    return max(0, min(due, room - called))


def _nonzero(ids: list[str], amounts: list[int]) -> tuple[tuple[str, int], ...]:
    return tuple((i, a) for i, a in zip(ids, amounts, strict=True) if a)
