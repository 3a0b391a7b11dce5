"""Investor returns to date: what the ledger records as paid, and the metrics of it.

THE rule (docs/ledger.md, "Investor returns to date"): an investor's figures *to date*
— drawn, principal repaid, return paid, returned, MOIC, DPI, XIRR — are read from the
ledger's postings, drawdowns out and distributions recorded in, net of reversals. What
the waterfall proposes (the schedule document's `investors[]`) is a proposal, or with a
percentage a projection: it is never shown as "to date". The portal's schedule page,
the position API and the manager PDF read these figures here and nowhere else, so a
recorded distribution smaller than the proposal reads the same everywhere.

Per commitment (the ledger's own grain: each commitment has its principal and return
accounts), optionally as of a chain state (`seq`), as payments.position reads; and per
investor, its lending commitments together (`by_investor`), with the same arithmetic.
The totals equal the position's (tests/payments/test_same_returns.py).
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db import connection

from payments.engine.metrics import Ratio, Xirr, dpi, moic, xirr
from payments.models import Commitment, TrancheKind
from payments.position import AS_OF_SQL
from sib.models import Programme

# The legs on investors' principal and return accounts, per commitment and date, each
# with the kind of the transaction it belongs to, or for a reversal the kind of the
# transaction it reverses (a reversed distribution nets out under "distribution").
_LEGS = """
    SELECT a.commitment_id, a.kind, t.occurred_on, coalesce(o.kind, t.kind) AS base_kind,
           sum(l.debit) AS debit, sum(l.credit) AS credit
      FROM payments_leg l
      JOIN payments_ledger_transaction t ON t.id = l.transaction_id
      JOIN payments_account a ON a.id = l.account_id
      LEFT JOIN payments_ledger_transaction o ON o.id = t.reverses_id
     WHERE t.programme_id = %(programme_id)s
       AND a.kind IN ('investor_principal', 'investor_return')
       {as_of}
     GROUP BY 1, 2, 3, 4
"""


@dataclass(frozen=True)
class Movement:
    """What the ledger records for one investor on one date (minor units)."""

    on: date
    drawn: int = 0
    principal_repaid: int = 0
    return_paid: int = 0

    @property
    def flow(self) -> int:
        """The investor's net cash flow that day: what it received less what it paid in."""
        return self.principal_repaid + self.return_paid - self.drawn


@dataclass(frozen=True)
class InvestorReturn:
    """One commitment's (or one investor's) returns to date, as the ledger records them."""

    investor: str
    investor_id: int
    name: str
    tranche: str
    tranche_name: str
    tranche_kind: str
    committed: int
    movements: tuple[Movement, ...]
    xirr: Xirr
    moic: Ratio
    dpi: Ratio

    @property
    def drawn(self) -> int:
        return sum(m.drawn for m in self.movements)

    @property
    def principal_repaid(self) -> int:
        return sum(m.principal_repaid for m in self.movements)

    @property
    def return_paid(self) -> int:
        return sum(m.return_paid for m in self.movements)

    @property
    def returned(self) -> int:
        """Principal and return recorded as paid to the investor."""
        return self.principal_repaid + self.return_paid

    @property
    def principal_outstanding(self) -> int:
        return self.drawn - self.principal_repaid

    @property
    def is_guarantee(self) -> bool:
        return self.tranche_kind == TrancheKind.GUARANTEE


def _movements(programme_id: int, seq: int | None) -> dict[int, dict[date, list[int]]]:
    """Return commitment -> date -> [drawn, principal repaid, return paid]."""
    moves: dict[int, dict[date, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0, 0]))
    sql = _LEGS.format(as_of=AS_OF_SQL if seq is not None else "")
    with connection.cursor() as cursor:
        cursor.execute(sql, {"programme_id": programme_id, "seq": seq})
        rows = cursor.fetchall()
    for commitment, kind, on, base, debit, credit in rows:
        cell = moves[commitment][on]
        if kind == "investor_principal":
            if base == "drawdown":
                cell[0] += int(credit) - int(debit)
            else:
                cell[1] += int(debit) - int(credit)
        elif base == "distribution":
            cell[2] += int(debit) - int(credit)
    return moves


def _returns(
    key: Commitment, commitments: Iterable[Commitment], by_date: dict[date, list[int]]
) -> InvestorReturn:
    """Return the figures and metrics of the dated movements of `commitments`.

    The one place the metrics to date are computed: XIRR on each date's net flow, MOIC
    and DPI on the totals (payments.engine.metrics).
    """
    movements = tuple(Movement(on, *by_date[on]) for on in sorted(by_date))
    drawn = sum(m.drawn for m in movements)
    returned = sum(m.principal_repaid + m.return_paid for m in movements)
    return InvestorReturn(
        investor=key.investor.slug,
        investor_id=key.investor_id,
        name=key.investor.name,
        tranche=key.tranche.key,
        tranche_name=key.tranche.name,
        tranche_kind=key.tranche.kind,
        committed=sum(c.amount for c in commitments),
        movements=movements,
        xirr=xirr([(m.on, m.flow) for m in movements]),
        moic=moic(drawn=drawn, returned=returned),
        dpi=dpi(drawn=drawn, returned=returned),
    )


def investor_returns(
    *, programme: Programme, seq: int | None = None, by_investor: bool = False
) -> tuple[InvestorReturn, ...]:
    """Return each commitment's returns to date, now or as of chain entry `seq`.

    In tranche priority then investor name order. With `by_investor`, one per investor
    instead: its lending commitments together (a guarantee is not lending; its tranche
    fields are those of its first commitment), in the same order.
    """
    moves = _movements(programme.pk, seq)
    commitments = list(
        Commitment.objects.filter(programme=programme)
        .select_related("investor", "tranche")
        .order_by("tranche__priority", "investor__name", "id")
    )
    if not by_investor:
        return tuple(_returns(c, [c], moves.get(c.pk, {})) for c in commitments)
    groups: dict[int, list[Commitment]] = {}
    for c in commitments:
        if c.tranche.kind != TrancheKind.GUARANTEE:
            groups.setdefault(c.investor_id, []).append(c)
    combined = []
    for group in groups.values():
        by_date: dict[date, list[int]] = defaultdict(lambda: [0, 0, 0])
        for c in group:
            for on, figures in moves.get(c.pk, {}).items():
                by_date[on] = [a + b for a, b in zip(by_date[on], figures, strict=True)]
        combined.append(_returns(group[0], group, by_date))
    return tuple(combined)
