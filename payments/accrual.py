"""Outcome payments due: the accrual side of the ledger.

What verified results make each payer owe is posted when the results change, in the
same database transaction (outcomes.signals.outcome_facts_changed), never computed on
the side by a page or a report:

    Dr receivable:<payer>   (the payer owes more)
        Cr outcome_income   (the programme earned it)

The contract's rules (caps, co-payer shares, thresholds, termination) live in the
engine (payments.rules); this module asks it what the verified results are worth now
and books the DIFFERENCE from what the ledger already shows as due, per payer, as one
`outcome_due` transaction: a first verification books the full amount, an amendment or
a cap reached books a restatement up or down, never an edit. A restatement below what
the payer already paid leaves its receivable in credit: the programme owes that back,
and it is netted against the payer's next dues.

Disputes hold money apart: the part of the due that a disputed result carries (what the
plan is worth with it, less what it is worth without it) is moved to
`disputed:<payer>` by a `dispute_hold` transaction and moved back when the dispute ends
(an amendment that supersedes the result, or the dispute withdrawn). Each payer disputes
its own share: a dispute raised by a funder bound to payer B holds B's share only, the
co-payers still owe theirs; a funder bound to no payer holds every payer's share.

An advance (money a payer paid before it owed it, recorded as such) is applied to new
dues by an `advance_applied` transaction: Dr advance:<payer>, Cr receivable:<payer>.

Every amount comes from one engine run per change (one more per distinct set of results
held for a payer while disputes are open), and
the chain lock serialises the changes of one programme, so two verifications committing
at once cannot both book the same difference.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import connection
from django.db.models import Sum

from outcomes.models import Result
from outcomes.selectors import open_disputes
from payments import ledger
from payments.accrual_cell import cell_due_change
from payments.ledger import LegSpec
from payments.models import (
    DEBIT_NORMAL,
    Account,
    AccountKind,
    LedgerTransaction,
    Leg,
    TransactionKind,
)
from payments.outcome_payments import outcome_payments_compute, verified_inputs
from payments.rules import NotPayableReason, OutcomePaymentPlan
from sib.chain import chain_lock
from sib.models import Organisation, Programme


def disputed_results_by_payer(
    *, programme: Programme, payers: set[str], leave_out: int | None = None
) -> dict[str, set[int]]:
    """Return payer slug -> the results whose amount is held from it: those disputed by a
    funder bound to it, or by a funder bound to no payer (then held from every payer).

    `leave_out`: a dispute (review id) counted as ended, to preview its withdrawal.
    """
    disputes = [d for d in open_disputes(programme=programme) if d.pk != leave_out]
    bound = {d.held_payer_id for d in disputes if d.held_payer_id is not None}  # type: ignore[attr-defined]
    slug_of = dict(Organisation.objects.filter(pk__in=bound).values_list("pk", "slug"))
    held: dict[str, set[int]] = {slug: set() for slug in payers}
    for dispute in disputes:
        payer_id = dispute.held_payer_id  # type: ignore[attr-defined]
        for slug in payers if payer_id is None else {slug_of[payer_id]}:
            held.setdefault(slug, set()).add(dispute.result_id)
    return held


def payer_undisputed_totals(
    *,
    programme: Programme,
    target: dict[str, int],
    payers: set[str],
    leave_out: int | None = None,
) -> dict[str, int]:
    """Return payer slug -> what it owes leaving out the results it disputes.

    One engine run per distinct set of held results: with one payer disputing, the
    others keep the full plan (`target`) and cost nothing more.
    """
    runs: dict[frozenset[int], dict[str, int]] = {frozenset(): target}
    out = {}
    held = disputed_results_by_payer(programme=programme, payers=payers, leave_out=leave_out)
    for slug, results in held.items():
        key = frozenset(results)
        if key not in runs:
            runs[key] = _payer_totals(programme, exclude=set(key))
        out[slug] = runs[key].get(slug, 0)
    return out


def dispute_release_preview(*, programme: Programme, review_id: int) -> dict[str, int]:
    """Return payer slug -> what withdrawing the dispute `review_id` would release from
    `disputed:<payer>` back to what it owes (payers it leaves unchanged are left out).

    A read: the same engine runs as the booking, nothing posted.
    """
    target = _payer_totals(programme)
    payers = set(target)
    now = payer_undisputed_totals(programme=programme, target=target, payers=payers)
    after = payer_undisputed_totals(
        programme=programme, target=target, payers=payers, leave_out=review_id
    )
    released = {
        slug: max(target[slug] - now.get(slug, 0), 0) - max(target[slug] - after.get(slug, 0), 0)
        for slug in sorted(payers)
    }
    return {slug: amount for slug, amount in released.items() if amount}


# The rules that stop part of a priced amount because a cap is reached (payments.rules).
CAP_REASONS = (
    NotPayableReason.PARTICIPANT_CAP,
    NotPayableReason.METRIC_COUNT_CAP,
    NotPayableReason.METRIC_AMOUNT_CAP,
    NotPayableReason.CONTRACT_CAP,
)


@dataclass(frozen=True)
class CapCut:
    """A cap that holds back part of what a result is priced at: `amount` more is not
    payable once it is verified (minor units), on metric `metric` (None: every metric)."""

    cap: str
    metric: str | None
    amount: int


@dataclass(frozen=True)
class VerificationPreview:
    """What verifying a result would change: payer slug -> how much more (negative: less)
    it would owe, payers unchanged left out; and the caps that cut the result's price."""

    change: dict[str, int]
    caps: tuple[CapCut, ...] = ()


def verification_preview(*, programme: Programme, result: Result) -> VerificationPreview:
    """Return what each payer would owe more (or less), under the contract's rules and
    caps, once `result` is verified (an amendment replacing the result it amends), and
    which caps hold part of it back.

    `result` may be unsaved: a submission not made yet, priced as if made and verified.
    A read: the same engine as the booking, run with and without the result, nothing
    posted. Raises RuleError when the rules cannot price the result, as verifying would.
    """
    return verifications_preview(programme=programme, results=[result])


def verifications_preview(
    *, programme: Programme, results: Sequence[Result]
) -> VerificationPreview:
    """Return what verifying all of `results` together would change, as
    `verification_preview` for one: the results of a CSV import before it is confirmed
    (saved inside a transaction the check rolls back, outcomes.import_checks)."""
    before = _plan(programme)
    after = _plan(programme, include=results)
    was, will = _totals(before), _totals(after)
    change = {slug: will.get(slug, 0) - was.get(slug, 0) for slug in was | will}
    held_before, held_after = _capped(before), _capped(after)
    cuts = (
        CapCut(cap, metric, held_after.get((cap, metric), 0) - held_before.get((cap, metric), 0))
        for cap, metric in sorted(held_after, key=lambda key: (key[0], key[1] or ""))
    )
    return VerificationPreview(
        change={slug: amount for slug, amount in sorted(change.items()) if amount},
        # Caps that hold back more; an amendment lowering a count may release some: the
        # payers' change already says so.
        caps=tuple(cut for cut in cuts if cut.amount > 0),
    )


def _capped(plan: OutcomePaymentPlan) -> dict[tuple[str, str | None], int]:
    """Return (cap, metric) -> what the cap holds back in `plan`; the contract's cap
    applies to the whole contract, so it is not split by metric."""
    held: dict[tuple[str, str | None], int] = {}
    for line in plan.not_payable:
        if line.reason in CAP_REASONS:
            metric = None if line.reason == NotPayableReason.CONTRACT_CAP else line.metric
            held[(line.reason.value, metric)] = (
                held.get((line.reason.value, metric), 0) + line.amount
            )
    return held


def termination_preview(*, programme: Programme, on: date) -> dict[str, int]:
    """Return payer slug -> how much more (negative: less) it would owe were the contract
    terminated on `on`: results dated after it stop paying, and rules that wait for every
    cohort (a pooled threshold) decide on what is there. Payers unchanged are left out.

    A read, as `verification_preview`: the same engine run twice, nothing posted. Outcome
    payments only: the termination page adds the redemptions a termination makes due
    (payments.dues_preview.termination_dues_preview).
    """
    before = _payer_totals(programme)
    after = _payer_totals(programme, terminated_on=on)
    change = {slug: after.get(slug, 0) - before.get(slug, 0) for slug in before | after}
    return {slug: amount for slug, amount in sorted(change.items()) if amount}


def _plan(
    programme: Programme,
    exclude: set[int] | None = None,
    include: Sequence[Result] = (),
    terminated_on: date | None = None,
) -> OutcomePaymentPlan:
    inputs = verified_inputs(programme=programme, exclude=exclude, include=include)
    return outcome_payments_compute(
        programme=programme, inputs=inputs, as_if_terminated_on=terminated_on
    )


def _totals(plan: OutcomePaymentPlan) -> dict[str, int]:
    return {item.payer: item.amount for item in plan.payer_totals}


def _payer_totals(
    programme: Programme,
    exclude: set[int] | None = None,
    terminated_on: date | None = None,
) -> dict[str, int]:
    return _totals(_plan(programme, exclude=exclude, terminated_on=terminated_on))


def _balances(programme: Programme, kinds: set[str]) -> dict[tuple[str, str], int]:
    """Return (account kind, payer slug) -> balance in the account's normal direction."""
    rows = (
        Leg.objects.filter(account__programme=programme, account__kind__in=kinds)
        .values_list("account__kind", "account__organisation__slug")
        .annotate(debit=Sum("debit"), credit=Sum("credit"))
    )
    out: dict[tuple[str, str], int] = {}
    for kind, slug, debit, credit in rows:
        normal = debit - credit
        out[(kind, slug)] = normal if kind in DEBIT_NORMAL else -normal
    return out


def _booked_due(programme: Programme) -> dict[str, int]:
    """Return payer slug -> what the ledger shows as due from it (outcome_due postings)."""
    rows = (
        Leg.objects.filter(
            transaction__programme=programme,
            transaction__kind=TransactionKind.OUTCOME_DUE,
            account__kind=AccountKind.PAYER_RECEIVABLE,
        )
        .values_list("account__organisation__slug")
        .annotate(debit=Sum("debit"), credit=Sum("credit"))
    )
    return {slug: debit - credit for slug, debit, credit in rows}


def _accounts(programme: Programme, kind: str, slugs: set[str]) -> dict[str, Account]:
    """Return payer slug -> its account of `kind`, creating the ones not used yet."""
    found = {
        account.organisation.slug: account
        for account in Account.objects.filter(
            programme=programme, kind=kind, organisation__slug__in=slugs
        ).select_related("organisation")
        if account.organisation is not None
    }
    for org in Organisation.objects.filter(slug__in=slugs - set(found)):
        found[org.slug] = ledger.account_for(programme=programme, kind=kind, organisation=org)
    return found


# The columns of an account the posting reads (any other would load on first use), and
# its organisation's slug.
_ACCOUNT_FIELDS = ["id", "programme_id", "code", "kind", "organisation_id", "currency"]
_DUE_ACCOUNTS_SQL = (
    "SELECT a.id, a.programme_id, a.code, a.kind, a.organisation_id, a.currency, o.slug"
    " FROM payments_account a LEFT JOIN sib_organisation o ON o.id = a.organisation_id"
    " WHERE a.programme_id = %(programme)s AND ("
    "(a.kind = %(receivable)s AND o.slug = ANY(%(slugs)s)) OR a.kind = %(income)s)"
)


def _due_accounts(
    programme: Programme, slugs: set[str], *, income: bool
) -> tuple[dict[str, Account], Account | None]:
    """Return the payers' receivable accounts and (when `income`) the outcome income
    account, read in one query; those not used yet are created.

    Read as SQL and loaded as the ORM loads rows (`from_db`): this runs in every
    verification, where building the query cost more than running it."""
    with connection.cursor() as cursor:
        cursor.execute(
            _DUE_ACCOUNTS_SQL,
            {
                "programme": programme.pk,
                "receivable": AccountKind.PAYER_RECEIVABLE.value,
                "slugs": sorted(slugs),
                # No income account wanted: a kind no account has.
                "income": AccountKind.OUTCOME_INCOME.value if income else "",
            },
        )
        found = [
            (Account.from_db(connection.alias, _ACCOUNT_FIELDS, row[:-1]), row[-1])
            for row in cursor.fetchall()
        ]
    receivable = {
        slug: account
        for account, slug in found
        if account.kind == AccountKind.PAYER_RECEIVABLE and slug is not None
    }
    if set(receivable) != slugs:
        receivable = _accounts(programme, AccountKind.PAYER_RECEIVABLE, slugs)
    earned = next((a for a, _ in found if a.kind == AccountKind.OUTCOME_INCOME), None)
    if income and earned is None:
        earned = ledger.account_for(programme=programme, kind=AccountKind.OUTCOME_INCOME)
    return receivable, earned


def _post(
    programme: Programme, kind: str, on: date, legs: list[LegSpec], actor: Any, text: str
) -> LedgerTransaction | None:
    if not legs:
        return None
    return ledger.transaction_post(
        programme=programme, kind=kind, occurred_on=on, legs=legs, actor=actor, description=text
    )


def _post_due(
    programme: Programme,
    deltas: dict[str, int],
    booked_any: bool,
    on: date,
    actor: Any,
    cause: str,
) -> LedgerTransaction | None:
    """Post the change of each payer's due (Dr receivable up, Cr down), the net to income."""
    deltas = {slug: delta for slug, delta in sorted(deltas.items()) if delta}
    if not deltas:
        return None
    net = sum(deltas.values())
    receivable, income = _due_accounts(programme, set(deltas), income=bool(net))
    legs = [
        LegSpec(receivable[slug], debit=max(delta, 0), credit=max(-delta, 0))
        for slug, delta in deltas.items()
    ]
    # net is 0 only when a due moved between payers: balanced without income.
    if income is not None:
        legs.append(LegSpec(income, debit=max(-net, 0), credit=max(net, 0)))
    text = ("Outcome payment restated" if booked_any else "Outcome payment due") + (
        f": {cause}" if cause else ""
    )
    return _post(programme, TransactionKind.OUTCOME_DUE, on, legs, actor, text)


def outcome_due_reconcile(
    *,
    programme: Programme,
    on: date,
    actor: Any = None,
    cause: str = "",
    verified: Result | None = None,
) -> list[LedgerTransaction]:
    """Book what the verified results now make each payer owe, as differences.

    Posts at most three transactions: the due (or its restatement), the disputed part
    held or released, and advances applied to new dues. Returns what it posted.

    `verified`: the result whose verification is the change, when it is one; if it can
    only change its own cell's payment line, that line's change is booked without an
    engine run over every result (payments.accrual_cell, which says when it cannot).
    """
    chain_lock(programme_id=programme.pk)
    cell = None if verified is None else cell_due_change(programme=programme, result=verified)
    if cell is not None:
        # No dispute is open or held (cell_due_change checks it), so nothing is held or
        # released; an advance is applied only where a payer has an advance account.
        due = _post_due(programme, cell.change, cell.due_booked, on, actor, cause)
        if not cell.advanced:
            return [due] if due is not None else []
        applied = advances_apply(programme=programme, on=on, actor=actor)
        return [tx for tx in (due, applied) if tx is not None]
    target = _payer_totals(programme)
    booked = _booked_due(programme)
    slugs = set(target) | set(booked)
    undisputed = payer_undisputed_totals(programme=programme, target=target, payers=slugs)
    posted: list[LedgerTransaction] = []

    # 1. The due itself: one leg per payer whose figure moved, income on the other side.
    deltas = {slug: target.get(slug, 0) - booked.get(slug, 0) for slug in sorted(slugs)}
    tx = _post_due(programme, deltas, bool(booked), on, actor, cause)
    if tx is not None:
        posted.append(tx)

    # 2. The part held in dispute: (due with the disputed results) - (due without them).
    held = _balances(programme, {AccountKind.PAYER_DISPUTED})
    holds = {
        slug: max(target.get(slug, 0) - undisputed.get(slug, 0), 0)
        - held.get((AccountKind.PAYER_DISPUTED, slug), 0)
        for slug in sorted(slugs | {slug for _, slug in held})
    }
    holds = {slug: delta for slug, delta in holds.items() if delta}
    if holds:
        disputed_accounts = _accounts(programme, AccountKind.PAYER_DISPUTED, set(holds))
        receivable = _accounts(programme, AccountKind.PAYER_RECEIVABLE, set(holds))
        legs = []
        for slug, delta in holds.items():
            # delta > 0 holds more (Dr disputed, Cr receivable); below 0 releases.
            legs += [
                LegSpec(disputed_accounts[slug], debit=max(delta, 0), credit=max(-delta, 0)),
                LegSpec(receivable[slug], debit=max(-delta, 0), credit=max(delta, 0)),
            ]
        text = "Disputed outcome payments held or released" + (f": {cause}" if cause else "")
        tx = _post(programme, TransactionKind.DISPUTE_HOLD, on, legs, actor, text)
        if tx is not None:
            posted.append(tx)

    # 3. Advances meet the dues they were paid for.
    tx = advances_apply(programme=programme, on=on, actor=actor)
    if tx is not None:
        posted.append(tx)
    return posted


def advances_apply(
    *, programme: Programme, on: date, actor: Any = None
) -> LedgerTransaction | None:
    """Apply each payer's advance to what it owes now (Dr advance, Cr receivable).

    And the other way round: an advance below zero (the payment it came from was
    reversed after it had been applied) goes back to what the payer owes.

    Oldest dues first, the rule payments.redemption_payments.waterfall_payments follows:
    an advance paid before a redemption's date was kept out of the waterfall there, so it
    did not lower the redemption it settles here (issue 11: counted once).
    """
    balances = _balances(programme, {AccountKind.PAYER_ADVANCE})
    if not balances:
        # No advance was ever recorded: nothing to apply, and the receivables (one leg per
        # due and per payment) are not read.
        return None
    balances |= _balances(programme, {AccountKind.PAYER_RECEIVABLE})
    legs: list[LegSpec] = []
    for kind, slug in sorted(balances):
        if kind != AccountKind.PAYER_ADVANCE:
            continue
        advance = balances[(kind, slug)]
        amount = min(advance, balances.get((AccountKind.PAYER_RECEIVABLE, slug), 0))
        if advance < 0:
            amount = advance  # unapply: Cr advance, Dr receivable
        if amount:
            (ahead,) = _accounts(programme, AccountKind.PAYER_ADVANCE, {slug}).values()
            (owed,) = _accounts(programme, AccountKind.PAYER_RECEIVABLE, {slug}).values()
            legs += [
                LegSpec(ahead, debit=max(amount, 0), credit=max(-amount, 0)),
                LegSpec(owed, debit=max(-amount, 0), credit=max(amount, 0)),
            ]
    return _post(programme, TransactionKind.ADVANCE_APPLIED, on, legs, actor, "Advance applied")
