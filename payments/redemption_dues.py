"""Principal redemption dues: what a tranche's ``redemption`` term makes a payer owe.

A tranche with a ``redemption`` term (payments.engine.redemption) is owed back, at its
maturity or on an early redemption, a percent of the principal drawn, less what the
waterfall and the guarantees repaid by then; the term's ``payer`` owes the rest. The
actual schedule computes that figure (its ``redemptions``); this module books the same
figure in the ledger, so that the payer's position, its payment notice and the reports
show what it owes for the redemption:

    redemption_due   Dr receivable:<payer>                       (the payer owes more)
                         Cr redemption:<tranche>:<investor>      (each investor's part)

One transaction per payer and tranche, dated on the redemption date. As with outcome
payments (payments.accrual), only the DIFFERENCE between what the schedule says now and
what the ledger already shows is booked: the first booking for the full amount, then a
restatement up or down when the results of the rate's metric, the drawdowns or the
payments before the date change — never an edit, never twice. A redemption whose date
is still to come (an early redemption agreed ahead) is booked when a later change finds
it due, since the ledger records what has happened (payments.ledger.date_check).

The payment that settles it is an ordinary payment received (oldest dues first). The
schedule has already paid the redemption out as principal to the tranche's investors on
its date, so that payment is not distributed by the waterfall a second time
(payments.redemption_payments).
"""

from collections import defaultdict
from datetime import date
from typing import Any

from django.db import connection

from payments import ledger
from payments.accrual import advances_apply
from payments.ledger import LegSpec
from payments.models import (
    AccountKind,
    Commitment,
    LedgerTransaction,
    Leg,
    Tranche,
    TransactionKind,
)
from payments.schedule_builder import (
    ScheduleError,
    scenario_for,
    schedule_compute,
    schedule_state,
)
from sib import clock
from sib.chain import chain_lock
from sib.models import Organisation, Programme

# (payer slug, tranche key) -> investor slug -> amount (minor units).
Parts = dict[tuple[str, str], dict[str, int]]


def redemptions_due(*, programme: Programme) -> list[dict[str, Any]]:
    """Return the actual schedule's redemption records (empty: none due yet).

    Terms that give no schedule (a draft's) redeem nothing: the schedule page says why.
    """
    if not Tranche.objects.filter(programme=programme, redemption__isnull=False).exists():
        return []
    try:
        document, _ = schedule_compute(schedule_state(programme=programme), scenario_for(None))
    except ScheduleError:
        return []
    return list(document["schedule"].get("redemptions", []))


def _booked(programme: Programme) -> Parts:
    """Return what the ledger's `redemption_due` postings show, per payer and tranche."""
    legs = Leg.objects.filter(
        transaction__programme=programme, transaction__kind=TransactionKind.REDEMPTION_DUE
    ).values_list(
        "transaction_id",
        "account__kind",
        "account__organisation__slug",
        "account__commitment__tranche__key",
        "debit",
        "credit",
    )
    payer_of: dict[int, str] = {}
    rows = []
    for tx_id, kind, slug, tranche, debit, credit in legs:
        if kind == AccountKind.PAYER_RECEIVABLE:
            payer_of[tx_id] = slug
        else:
            rows.append((tx_id, tranche, slug, credit - debit))
    booked: Parts = defaultdict(lambda: defaultdict(int))
    for tx_id, tranche, investor, amount in rows:
        booked[(payer_of[tx_id], tranche)][investor] += amount
    return booked


def _redeemable_or_booked(programme: Programme) -> bool:
    """Return whether a tranche has a redemption term or a redemption due was booked, in
    one query: without either, the reconciliation has nothing to do (every outcome
    verification asks, and most programmes redeem nothing)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM payments_tranche"
            " WHERE programme_id = %(programme)s AND redemption IS NOT NULL)"
            " OR EXISTS (SELECT 1 FROM payments_ledger_transaction"
            " WHERE programme_id = %(programme)s AND kind = %(kind)s)",
            {"programme": programme.pk, "kind": TransactionKind.REDEMPTION_DUE.value},
        )
        (found,) = cursor.fetchone()
    return bool(found)


def redemption_dues_reconcile(
    *, programme: Programme, actor: Any = None, cause: str = ""
) -> list[LedgerTransaction]:
    """Book what the actual schedule's redemptions make each payer owe, as differences.

    Returns the transactions posted (one per payer and tranche whose figure moved).
    """
    # The chain lock serialises the changes of one programme: two changes committing at
    # once cannot both book the same difference.
    chain_lock(programme_id=programme.pk)
    if not _redeemable_or_booked(programme):
        return []  # no redemption term and none booked: nothing to book nor to restate
    records = redemptions_due(programme=programme)
    booked = _booked(programme)
    target: Parts = defaultdict(lambda: defaultdict(int))
    dated: dict[tuple[str, str], date] = {}
    today = clock.today()
    for record in records:
        on = date.fromisoformat(record["on"])
        if on > today:
            continue  # not due yet: booked by the first change after its date
        key = (record["payer"], record["tranche"])
        dated[key] = on
        for investor, amount in record["paid_to"]:
            target[key][investor] += amount
    posted = []
    for payer, tranche in sorted(set(target) | set(booked)):
        key = (payer, tranche)
        was, now = booked.get(key, {}), target.get(key, {})
        deltas = {i: now.get(i, 0) - was.get(i, 0) for i in sorted(set(was) | set(now))}
        deltas = {i: d for i, d in deltas.items() if d}
        if not deltas:
            continue
        on = dated.get(key, today)
        tx = _post(programme, payer, tranche, on, deltas, actor, restated=bool(was), cause=cause)
        posted.append(tx)
    if posted:
        applied = advances_apply(programme=programme, on=max(tx.occurred_on for tx in posted))
        if applied is not None:
            posted.append(applied)
    return posted


def _post(
    programme: Programme,
    payer: str,
    tranche: str,
    on: date,
    deltas: dict[str, int],
    actor: Any,
    *,
    restated: bool,
    cause: str,
) -> LedgerTransaction:
    commitments = {
        c.investor.slug: c
        for c in Commitment.objects.filter(
            programme=programme, tranche__key=tranche
        ).select_related("tranche", "investor")
    }
    legs = [
        LegSpec(
            ledger.account_for(
                programme=programme,
                kind=AccountKind.REDEMPTION_INCOME,
                commitment=commitments[investor],
            ),
            debit=max(-delta, 0),
            credit=max(delta, 0),
        )
        for investor, delta in deltas.items()
    ]
    net = sum(deltas.values())
    if net:
        receivable = ledger.account_for(
            programme=programme,
            kind=AccountKind.PAYER_RECEIVABLE,
            organisation=Organisation.objects.get(slug=payer),
        )
        legs.insert(0, LegSpec(receivable, debit=max(net, 0), credit=max(-net, 0)))
    text = ("Principal redemption restated" if restated else "Principal redemption due") + (
        f": tranche {tranche}" + (f", {cause}" if cause else "")
    )
    return ledger.transaction_post(
        programme=programme,
        kind=TransactionKind.REDEMPTION_DUE,
        occurred_on=on,
        legs=legs,
        actor=actor,
        description=text,
    )
