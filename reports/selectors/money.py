"""A report's money as of a chain state, read from the ledger's postings.

Ledger figures, and the postings they are read from (payments.ledger, sign convention):

- outcome payments paid, per payer: credits to the payer's receivable in
  `payment_received` transactions, net of their reversals;
- outcome payments due: what payers owe, the positive debit balance of their receivables;
- capital drawn: credits to investor principal in `drawdown` transactions, net of their
  reversals; principal repaid: drawn minus the principal still owed (the account balance);
- return paid: debits to investor return accounts, net of reversals.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from django.db import connection

from payments.cap_use import cap_share_used
from payments.models import Commitment, TrancheKind
from payments.position import programme_position
from reports import document as doc
from reports.rendering.formatting import format_month
from sib.models import Organisation, Programme
from sib.privacy import MIN_INVESTORS, Audience, investor_totals_shown


@dataclass(frozen=True, slots=True)
class Money:
    """The money figures a report prints, as of one state."""

    payment_rows: tuple[doc.PaymentRow, ...]
    paid_total: int
    due_total: int
    # Outcome payments due ÷ the contract cap (payments.cap_use), paid or not.
    cap_used: Fraction | None
    drawn: int
    principal_outstanding: int
    return_paid: int
    # Paid out by distribution transactions (credits to programme cash, net of reversals).
    distributed: int = 0


# Legs of the programme's ledger transactions chained at or before %(seq)s, each with the
# kind of the movement it belongs to (a reversal counts as the kind it reverses). The chained
# ids are materialised first and joined on the transaction's primary key: joining the chain's
# text object_id to the id directly let PostgreSQL, on fresh statistics, pick a nested loop
# over every chain entry per transaction (1.3 s for 840 transactions instead of 10 ms).
STATE_LEGS = """
    WITH chained AS MATERIALIZED (
        SELECT object_id::bigint AS id FROM sib_chain_entry
         WHERE programme_id = %(programme_id)s AND kind = 'ledger_transaction'
           AND seq <= %(seq)s
    )
    SELECT l.account_id, l.debit, l.credit, t.occurred_on,
           coalesce(o.kind, t.kind) AS base_kind, t.kind = 'reversal' AS is_reversal
      FROM chained
      JOIN payments_ledger_transaction t ON t.id = chained.id
      LEFT JOIN payments_ledger_transaction o ON o.id = t.reverses_id
      JOIN payments_leg l ON l.transaction_id = t.id
     WHERE t.programme_id = %(programme_id)s
"""


def ledger_as_of(programme: Programme, seq: int, lang: str) -> Money:
    """Return payments by month and payer, and the money totals, as of chain entry `seq`.

    The totals are the programme's position (payments.position), the same figures every
    page and API answer shows; only the month-by-payer breakdown is read here.
    """
    position = programme_position(programme=programme, seq=seq)
    query = f"""
        SELECT a.organisation_id, date_trunc('month', s.occurred_on)::date,
               sum(s.credit) - sum(s.debit)
          FROM ({STATE_LEGS}) s JOIN payments_account a ON a.id = s.account_id
         WHERE a.kind IN ('payer_receivable', 'payer_advance')
           AND s.base_kind = 'payment_received'
         GROUP BY 1, 2
    """  # noqa: S608 (constant text only)
    with connection.cursor() as cursor:
        cursor.execute(query, {"programme_id": programme.pk, "seq": seq})
        paid = {(month, org): int(amount) for org, month, amount in cursor.fetchall()}
    names = _organisation_names({org for _, org in paid})
    payment_rows = tuple(
        doc.PaymentRow(period=format_month(month, lang), payer=names[org], amount=amount)
        for (month, org), amount in sorted(paid.items(), key=lambda i: (i[0][0], names[i[0][1]]))
        if amount
    )
    totals = position.totals
    return Money(
        payment_rows=payment_rows,
        paid_total=totals["received"],
        due_total=totals["still_to_pay"],
        cap_used=cap_share_used(totals=totals, cap=programme.contract_cap),
        drawn=totals["drawn"],
        principal_outstanding=totals["principal_outstanding"],
        return_paid=totals["return_paid"],
        distributed=totals["distributed"],
    )


def _organisation_names(ids: Iterable[int]) -> dict[int, str]:
    return dict(Organisation.objects.filter(id__in=list(ids)).values_list("id", "name"))


def investor_repayment(
    programme: Programme, money: Money, guarantors: frozenset[int], audience: Audience
) -> doc.InvestorRepayment:
    """Return what the investors (guarantors aside) committed, drew and were repaid.

    The sums are dropped here, before anything is rendered, when `audience` may not read
    them (sib.privacy.investor_totals_shown: fewer than MIN_INVESTORS lenders); the
    category, the one figure public data on outcome contracts gives, stays.
    """
    commitments = Commitment.objects.filter(programme=programme).exclude(
        tranche__kind=TrancheKind.GUARANTEE
    )
    investors = {c.investor_id for c in commitments.only("investor_id")}
    if not investors:
        investors = {
            p.organisation_id
            for p in programme.parties.filter(role="investor")
            if p.organisation_id not in guarantors
        }
    committed = sum(c.amount for c in commitments.only("amount"))
    principal_repaid = money.drawn - money.principal_outstanding
    category = repayment_category(
        drawn=money.drawn, principal_repaid=principal_repaid, return_paid=money.return_paid
    )
    if not investor_totals_shown(audience, len(investors)):
        return doc.InvestorRepayment(
            investor_count=len(investors),
            capital_committed=0,
            capital_drawn=0,
            principal_repaid=0,
            return_paid=0,
            category=category,
            disclosed=False,
            min_investors=MIN_INVESTORS,
        )
    return doc.InvestorRepayment(
        investor_count=len(investors),
        capital_committed=committed,
        capital_drawn=money.drawn,
        principal_repaid=principal_repaid,
        return_paid=money.return_paid,
        category=category,
        min_investors=MIN_INVESTORS,
    )


def repayment_category(*, drawn: int, principal_repaid: int, return_paid: int) -> Any:
    """Return the public-data category: none, some, principal repaid, or with a return."""
    if principal_repaid <= 0 and return_paid <= 0:
        return "no_repayment"
    if principal_repaid < drawn:
        return "some_repayment"
    if return_paid <= 0:
        return "principal_repaid"
    return "positive_return"
