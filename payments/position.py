"""One programme's money position, read from the ledger: THE source of every money figure.

Every page, API answer and report that shows what is due, disputed, received, drawn,
repaid or distributed reads it here, so the same figure reads the same everywhere. It
reads the ledger's legs only (no schedule, no engine), optionally as of a chain state
(`seq`: the entries up to that sequence number), which is how a report shows the figures
of the chain head it prints.

Per payer (minor units):
    due          what its verified results make it owe (outcome_due postings, net of
                 restatements), and the principal redemptions it owes (redemption_due
                 postings, payments.redemption_dues); includes the disputed part
    redemptions  the part of `due` owed for principal redemptions, per tranche:
                 ((tranche key, amount), ...)
    disputed     the part of `due` held while a result is disputed
    received     outcome payments received from it, net of reversals (advances included)
                 and of what was refunded to it (what the programme kept of its money)
    refunded     its credit paid back to it (credit_refund, payments.credit_refunds)
    advance      received ahead of what it owed and not yet applied
    outstanding  due - received; below zero, the payer's advance plus its credit
    still_to_pay outstanding, never below zero: the totals every page and report prints
                 as "still to pay", so one payer's advance never lowers another's dues
    credit       what the programme owes back after a restatement below what was paid:
                 received - advance - due, never below zero (an advance is not a credit)
    settled_by   the parts of `received` another party paid in a joint payment
                 (payments.joint_payments), per paying party: ((slug, amount), ...)
    paid_for     what its joint payments settled of other payers' dues, per payer settled

Per investor commitment: drawn, principal repaid, return paid (distributions), principal
outstanding; for a guarantor: called, paid and reimbursed.
Always true (tests/payments/test_position.py): Σ due - Σ received = Σ outstanding, and
the trial balance of every currency is zero.
distributions_compared: per payment date and waterfall line, what the schedule proposes
against what the ledger records (the one place that reads the schedule document).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db import connection
from django.db.models import F

from payments.models import Commitment, Leg, TrancheKind, TransactionKind
from payments.schedule_builder import schedule_document
from sib.models import PartyRole, Programme, ProgrammeParty

# The legs of the programme's transactions (all, or those chained up to a sequence
# number), each with the kind of the transaction it belongs to, or for a reversal the
# kind of the transaction it reverses: a reversed payment nets out under "payments".
_LEGS = """
    SELECT a.kind, a.organisation_id, a.commitment_id,
           coalesce(o.kind, t.kind) AS base_kind,
           sum(l.debit) AS debit, sum(l.credit) AS credit
      FROM payments_leg l
      JOIN payments_ledger_transaction t ON t.id = l.transaction_id
      JOIN payments_account a ON a.id = l.account_id
      LEFT JOIN payments_ledger_transaction o ON o.id = t.reverses_id
     WHERE t.programme_id = %(programme_id)s
       {as_of}
     GROUP BY 1, 2, 3, 4
"""
# What joint payments credited to each payer's receivable, per paying party, net of
# reversals (a reversal's legs count under the joint payment it reverses).
_JOINT = """
    SELECT a.organisation_id, j.paid_by_id, sum(l.credit) - sum(l.debit)
      FROM payments_leg l
      JOIN payments_ledger_transaction t ON t.id = l.transaction_id
      JOIN payments_account a ON a.id = l.account_id
      JOIN payments_joint_payment j ON j.transaction_id = coalesce(t.reverses_id, t.id)
     WHERE t.programme_id = %(programme_id)s AND a.kind = 'payer_receivable'
       {as_of}
     GROUP BY 1, 2
"""
# What each payer owes for each tranche's principal redemption: a `redemption_due`
# transaction names one payer (its receivable leg) and one tranche (its investors' legs).
_REDEMPTIONS = """
    SELECT r.organisation_id, tr.key, sum(rl.debit) - sum(rl.credit)
      FROM payments_ledger_transaction t
      JOIN payments_leg rl ON rl.transaction_id = t.id
      JOIN payments_account r ON r.id = rl.account_id AND r.kind = 'payer_receivable'
      JOIN payments_tranche tr ON tr.id = (
           SELECT c.tranche_id FROM payments_leg il
             JOIN payments_account ia ON ia.id = il.account_id
             JOIN payments_commitment c ON c.id = ia.commitment_id
            WHERE il.transaction_id = t.id AND ia.kind = 'redemption_income' LIMIT 1)
     WHERE t.programme_id = %(programme_id)s AND t.kind = 'redemption_due'
       {as_of}
     GROUP BY 1, 2
"""
# (step kind, tranche key or None, recipient slug): one line of a distribution.
Key = tuple[str, str | None, str]

# "As of a chain state": the transactions chained at or before entry %(seq)s. Shared by
# every ledger reader that answers as of a state (payments.returns too).
AS_OF_SQL = """
       AND t.id IN (SELECT object_id::bigint FROM sib_chain_entry
                     WHERE programme_id = %(programme_id)s AND kind = 'ledger_transaction'
                       AND seq <= %(seq)s)
"""


@dataclass(frozen=True)
class PayerPosition:
    payer: str
    name: str
    due: int = 0
    disputed: int = 0
    received: int = 0
    advance: int = 0
    refunded: int = 0
    settled_by: tuple[tuple[str, int], ...] = ()
    paid_for: tuple[tuple[str, int], ...] = ()
    redemptions: tuple[tuple[str, int], ...] = ()

    @property
    def redemption(self) -> int:
        """The part of `due` owed for principal redemptions, every tranche together."""
        return sum(amount for _, amount in self.redemptions)

    @property
    def outstanding(self) -> int:
        return self.due - self.received

    @property
    def still_to_pay(self) -> int:
        """What the payer still has to pay of its dues (in dispute or not): never below
        zero, so that no payer's advance or credit nets against another payer's dues."""
        return max(self.outstanding, 0)

    @property
    def payable(self) -> int:
        """What the payer is asked to pay now: outstanding, less what is in dispute."""
        return max(self.outstanding - self.disputed, 0)

    @property
    def credit(self) -> int:
        """What the programme owes back to the payer: what it paid towards its dues beyond
        them (a restatement below what it paid). Money paid ahead of any due is its
        advance, shown as such and not counted here again."""
        return max(self.received - self.advance - self.due, 0)


@dataclass(frozen=True)
class InvestorPosition:
    tranche: str
    tranche_name: str
    tranche_kind: str
    investor: str
    name: str
    committed: int
    drawn: int = 0
    principal_repaid: int = 0
    return_paid: int = 0
    principal_outstanding: int = 0
    guarantee_called: int = 0
    guarantee_paid: int = 0
    guarantee_reimbursed: int = 0

    @property
    def is_guarantee(self) -> bool:
        return self.tranche_kind == TrancheKind.GUARANTEE


@dataclass(frozen=True)
class ProgrammePosition:
    programme_id: int
    currency: str
    payers: tuple[PayerPosition, ...]
    investors: tuple[InvestorPosition, ...]
    cash: int
    distributed: int
    income: int
    totals: dict[str, int] = field(default_factory=dict)

    def payer(self, slug: str) -> PayerPosition:
        return next(p for p in self.payers if p.payer == slug)

    @property
    def lenders(self) -> tuple[InvestorPosition, ...]:
        return tuple(i for i in self.investors if not i.is_guarantee)

    @property
    def guarantors(self) -> tuple[InvestorPosition, ...]:
        return tuple(i for i in self.investors if i.is_guarantee)


def _rows(programme_id: int, seq: int | None) -> list[tuple[str, int, int, str, int, int]]:
    sql = _LEGS.format(as_of=AS_OF_SQL if seq is not None else "")
    with connection.cursor() as cursor:
        cursor.execute(sql, {"programme_id": programme_id, "seq": seq})
        return [
            (kind, org, commitment, base, int(debit), int(credit))
            for kind, org, commitment, base, debit, credit in cursor.fetchall()
        ]


def _joint(programme_id: int, seq: int | None) -> list[tuple[int, int, int]]:
    """Return (payer settled, paying party, amount) for joint payments by another party."""
    sql = _JOINT.format(as_of=AS_OF_SQL if seq is not None else "")
    with connection.cursor() as cursor:
        cursor.execute(sql, {"programme_id": programme_id, "seq": seq})
        return [
            (payer, paid_by, int(amount))
            for payer, paid_by, amount in cursor.fetchall()
            if amount and payer != paid_by
        ]


Parties = tuple[tuple[str, int], ...]


def _redemptions(programme_id: int, seq: int | None) -> dict[int, Parties]:
    """Return per payer organisation id ((tranche key, amount owed), ...), by tranche."""
    sql = _REDEMPTIONS.format(as_of=AS_OF_SQL if seq is not None else "")
    out: dict[int, list[tuple[str, int]]] = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(sql, {"programme_id": programme_id, "seq": seq})
        for payer, tranche, amount in cursor.fetchall():
            if amount:
                out[payer].append((tranche, int(amount)))
    return {payer: tuple(sorted(items)) for payer, items in out.items()}


def _joint_figures(
    programme_id: int, seq: int | None, slugs: dict[int, str]
) -> dict[int, tuple[Parties, Parties]]:
    """Return per organisation id its (settled_by, paid_for), each sorted by slug."""
    settled_by: dict[int, list[tuple[str, int]]] = defaultdict(list)
    paid_for: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for payer, paid_by, amount in _joint(programme_id, seq):
        settled_by[payer].append((slugs[paid_by], amount))
        paid_for[paid_by].append((slugs[payer], amount))
    return {
        org: (tuple(sorted(settled_by.get(org, []))), tuple(sorted(paid_for.get(org, []))))
        for org in set(settled_by) | set(paid_for)
    }


# Kept whole (complexity over 15):
# one branch per account kind: the whole chart of accounts read in one place.
def programme_position(*, programme: Programme, seq: int | None = None) -> ProgrammePosition:  # noqa: C901
    """Return the programme's money position now, or as of chain entry `seq`."""
    payer_figures: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    commitment_figures: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    cash = distributed = income = 0
    for kind, org, commitment, base, debit, credit in _rows(programme.pk, seq):
        if kind == "payer_receivable":
            if base in ("outcome_due", "redemption_due"):
                payer_figures[org]["due"] += debit - credit
            elif base == "payment_received":
                payer_figures[org]["received"] += credit - debit
            elif base == "credit_refund":
                # Money paid back: the programme keeps that much less of what it received.
                payer_figures[org]["received"] += credit - debit
                payer_figures[org]["refunded"] += debit - credit
        elif kind == "payer_advance":
            payer_figures[org]["advance"] += credit - debit
            if base == "payment_received":
                payer_figures[org]["received"] += credit - debit
        elif kind == "payer_disputed":
            payer_figures[org]["disputed"] += debit - credit
        elif kind == "investor_principal":
            figures = commitment_figures[commitment]
            figures["principal_outstanding"] += credit - debit
            if base == "drawdown":
                figures["drawn"] += credit - debit
            elif base == "distribution":
                figures["principal_repaid"] += debit - credit
        elif kind == "investor_return" and base == "distribution":
            commitment_figures[commitment]["return_paid"] += debit - credit
        elif kind == "guarantee_called":
            if base == "guarantee_call":
                commitment_figures[commitment]["guarantee_called"] += debit - credit
            elif base == "guarantee_payment":
                commitment_figures[commitment]["guarantee_paid"] += credit - debit
        elif kind == "guarantee" and base == "distribution":
            commitment_figures[commitment]["guarantee_reimbursed"] += debit - credit
        elif kind == "programme_cash":
            cash += debit - credit
            if base == "distribution":
                distributed += credit - debit
        elif kind == "outcome_income":
            income += credit - debit

    parties = list(
        ProgrammeParty.objects.filter(programme=programme, role=PartyRole.OUTCOME_PAYER)
        .select_related("organisation")
        # A payer with no programme-wide share (it pays by a payer split) comes last.
        .order_by(F("payer_share").desc(nulls_last=True), "organisation__slug")
    )
    # A joint payment's paying party and payers settled are outcome payers of the
    # programme (payments.joint_payments checks it before posting).
    joint = _joint_figures(
        programme.pk, seq, {p.organisation_id: p.organisation.slug for p in parties}
    )
    redemptions = _redemptions(programme.pk, seq)
    payers = tuple(
        PayerPosition(
            payer=party.organisation.slug,
            name=party.organisation.name,
            **payer_figures[party.organisation_id],
            settled_by=joint.get(party.organisation_id, ((), ()))[0],
            paid_for=joint.get(party.organisation_id, ((), ()))[1],
            redemptions=redemptions.get(party.organisation_id, ()),
        )
        for party in parties
    )
    investors = tuple(
        InvestorPosition(
            tranche=c.tranche.key,
            tranche_name=c.tranche.name,
            tranche_kind=c.tranche.kind,
            investor=c.investor.slug,
            name=c.investor.name,
            committed=c.amount,
            **commitment_figures[c.pk],
        )
        for c in Commitment.objects.filter(programme=programme)
        .select_related("tranche", "investor")
        .order_by("tranche__priority", "investor__slug")
    )
    lenders = [i for i in investors if not i.is_guarantee]
    totals = {
        "due": sum(p.due for p in payers),
        "redemption": sum(p.redemption for p in payers),
        "disputed": sum(p.disputed for p in payers),
        "received": sum(p.received for p in payers),
        "advance": sum(p.advance for p in payers),
        "refunded": sum(p.refunded for p in payers),
        "outstanding": sum(p.outstanding for p in payers),
        "still_to_pay": sum(p.still_to_pay for p in payers),
        "payable": sum(p.payable for p in payers),
        "committed": sum(i.committed for i in lenders),
        "drawn": sum(i.drawn for i in lenders),
        "principal_repaid": sum(i.principal_repaid for i in lenders),
        "return_paid": sum(i.return_paid for i in lenders),
        "principal_outstanding": sum(i.principal_outstanding for i in lenders),
        "guarantee_called": sum(i.guarantee_called for i in investors),
        "guarantee_paid": sum(i.guarantee_paid for i in investors),
        "distributed": distributed,
    }
    return ProgrammePosition(
        programme_id=programme.pk,
        currency=programme.currency,
        payers=payers,
        investors=investors,
        cash=cash,
        distributed=distributed,
        income=income,
        totals=totals,
    )


# --- distributions: proposed by the schedule, recorded in the ledger ----------------------

# The account kind a distribution leg pays down -> the waterfall step it records.
_STEP_OF_ACCOUNT = {
    "investor_principal": "principal",
    "investor_return": "return",
    "guarantee": "guarantee_reimbursement",
}


@dataclass(frozen=True)
class DistributionLine:
    on: date
    step_kind: str
    tranche: str | None
    recipient: str
    proposed: int
    recorded: int

    @property
    def difference(self) -> int:
        return self.recorded - self.proposed


def _recorded_distributions(programme: Programme) -> dict[date, dict[Key, int]]:
    recorded: dict[date, dict[Key, int]] = defaultdict(lambda: defaultdict(int))
    legs = (
        Leg.objects.filter(
            transaction__programme=programme,
            transaction__kind=TransactionKind.DISTRIBUTION,
            transaction__reversal__isnull=True,
            debit__gt=0,
        )
        .select_related("transaction", "account__commitment__tranche", "account__organisation")
        .order_by("transaction__occurred_on", "id")
    )
    for leg in legs:
        account = leg.account
        on = leg.transaction.occurred_on
        if account.commitment is not None:
            key: Key = (
                _STEP_OF_ACCOUNT.get(account.kind, account.kind),
                account.commitment.tranche.key,
                account.organisation.slug if account.organisation else "",
            )
        else:
            # A fee and a success fee both pay the recipient's funding account, so the
            # leg does not say which step it was: _assign_recipient_steps decides.
            key = ("", None, account.organisation.slug if account.organisation else "")
        recorded[on][key] += leg.debit
    return recorded


def _assign_recipient_steps(proposed: dict[Key, int], recorded: dict[Key, int]) -> None:
    """Give the recorded payouts to named recipients (no tranche) the proposal's steps:
    each proposed step up to its amount, the rest to the last one ("fees" if none)."""
    for key in [k for k in recorded if k[0] == ""]:
        amount = recorded.pop(key)
        steps = sorted(k[0] for k in proposed if k[1] is None and k[2] == key[2])
        for i, step in enumerate(steps or ["fees"]):
            part = (
                amount
                if i == len(steps or ["fees"]) - 1
                else min(amount, proposed[(step, None, key[2])])
            )
            recorded[(step, None, key[2])] = recorded.get((step, None, key[2]), 0) + part
            amount -= part


def distributions_compared(*, programme: Programme) -> list[DistributionLine]:
    """Return, per payment date and (step, tranche, recipient), what the actual schedule
    proposes (payments.schedule_builder.schedule_document), what the ledger records, and
    the difference. A date with nothing recorded shows its whole proposal as missing."""
    from payments.distributions import key_order, proposals  # it imports this module

    proposed = proposals(schedule_document(programme=programme))
    recorded = _recorded_distributions(programme)
    lines = []
    for on in sorted(set(proposed) | set(recorded)):
        wanted = proposed.get(on, {})
        paid = dict(recorded.get(on, {}))
        _assign_recipient_steps(wanted, paid)
        for key in sorted(set(wanted) | set(paid), key=key_order):
            lines.append(
                DistributionLine(on, *key, proposed=wanted.get(key, 0), recorded=paid.get(key, 0))
            )
    return lines
