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

import copy
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from django.db import connection, transaction

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
from sib.models import Organisation, Programme, ProgrammeStatus
from sib.outbox import outbox_enqueue

# The daily task that books, for one programme, the redemptions whose date has come.
BOOK_TASK = "payments.redemption_dues_book"

# (payer slug, tranche key) -> investor slug -> amount (minor units).
Parts = dict[tuple[str, str], dict[str, int]]


def redemptions_due(
    *,
    programme: Programme,
    terminated_on: date | None = None,
    varied: Sequence[dict[str, Any]] = (),
) -> list[dict[str, Any]]:
    """Return the actual schedule's redemption records (empty: none due yet).

    `terminated_on`, `varied`: the schedule as if the programme were terminated that day,
    or the variations (as the terms carry them) recorded after the others — the previews'
    (payments.dues_preview). Terms that give no schedule (a draft's) redeem nothing: the
    schedule page says why.
    """
    if not Tranche.objects.filter(programme=programme, redemption__isnull=False).exists():
        return []
    state = schedule_state(programme=programme)
    if terminated_on is not None or varied:
        terms = copy.deepcopy(state.terms)
        if terminated_on is not None:
            terms["programme"]["status"] = ProgrammeStatus.TERMINATED.value
            terms["programme"]["termination_date"] = terminated_on.isoformat()
        if varied:
            terms["variations"] = [*terms.get("variations", []), *varied]
        state = replace(state, terms=terms)
    try:
        document, _ = schedule_compute(state, scenario_for(None))
    except ScheduleError:
        return []
    return list(document["schedule"].get("redemptions", []))


def _owed_by_today(records: list[dict[str, Any]]) -> tuple[Parts, dict[tuple[str, str], date]]:
    """Return what the records make each payer owe per tranche and investor, and their
    dates, leaving out the dates still to come (booked by the first change after them)."""
    target: Parts = defaultdict(lambda: defaultdict(int))
    dated: dict[tuple[str, str], date] = {}
    today = clock.today()
    for record in records:
        on = date.fromisoformat(record["on"])
        if on > today:
            continue
        key = (record["payer"], record["tranche"])
        dated[key] = on
        for investor, amount in record["paid_to"]:
            target[key][investor] += amount
    return target, dated


def redemptions_owed(
    *,
    programme: Programme,
    terminated_on: date | None = None,
    varied: Sequence[dict[str, Any]] = (),
) -> dict[str, int]:
    """Return payer slug -> what it would owe for principal redemptions in all, were the
    programme terminated on `terminated_on` or varied by `varied`: the figure
    `redemption_dues_reconcile` would book then. A read, nothing posted."""
    records = redemptions_due(programme=programme, terminated_on=terminated_on, varied=varied)
    owed: dict[str, int] = defaultdict(int)
    for (payer, _tranche), parts in _owed_by_today(records)[0].items():
        owed[payer] += sum(parts.values())
    return dict(owed)


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
    booked = _booked(programme)
    target, dated = _owed_by_today(redemptions_due(programme=programme))
    today = clock.today()
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


def redemption_dues_programmes() -> list[Programme]:
    """Return the programmes whose terms are in force (not drafts) with a tranche that has
    a redemption term: the ones a passing date can make owe a redemption."""
    return list(
        Programme.objects.exclude(status=ProgrammeStatus.DRAFT)
        .filter(tranches__redemption__isnull=False)
        .distinct()
        .order_by("pk")
    )


def redemption_dues_schedule() -> int:
    """Queue, through the outbox, one booking per programme that may owe a redemption
    (beat, daily); return how many. Each is its own task: one programme's failure does
    not hold the others back, and a lost run is done the next day."""
    queued = 0
    for programme in redemption_dues_programmes():
        with transaction.atomic():
            outbox_enqueue(task_name=BOOK_TASK, kwargs={"programme_id": programme.pk})
        queued += 1
    return queued


@transaction.atomic
def redemption_dues_book(*, programme: Programme) -> list[LedgerTransaction]:
    """Book the redemptions whose date has come and that nothing booked yet (issue 11).

    A redemption dated ahead (an early redemption agreed for a later day, a maturity
    after a closure) is booked by the first change after its date; when nothing changes,
    the daily task comes to it: same path, same difference, chained like every posting.
    Running it twice books once: the second run finds no difference.
    """
    return redemption_dues_reconcile(programme=programme, cause="date reached")


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
