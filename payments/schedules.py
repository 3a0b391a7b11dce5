"""Stored schedules: the worker's recompute, and what queues it when the chain moves.

The document is built by payments.schedule_builder (`schedule_document`, one builder for
every reader). Here it is cached: after every change of a programme's chain, the worker
stores the actual schedule and the default projections at the new head
(`programme_recompute`), so that reads find them instead of computing them. Reads never
store anything (a custom percentage is computed on every request).

What queues the recompute is the chain itself: `sib.chain.chain_append` calls
`recompute_on_chain_move` in the appending transaction, which writes one outbox message
per programme and transaction (sib.outbox: the message commits with the change, or not
at all). Whatever moves the chain — a verification, a posting, a reversal, a contract
change such as a termination (payments.contract) — is covered, and no service has to
remember to ask.

The recompute stores the actual schedule first and the projections after, each in its
own transaction, so that the schedule everyone waits for after a verification is not
held back by five forecasts:

1. in one transaction, take the programme's chain lock (two recomputes of one programme
   run one after the other, and the head does not move while its state is read), read the
   state at the head and, unless a `ScheduleVersion` exists at (programme, chain head,
   "actual"), store the actual document, its outcome payment lines and each investor's
   statement (payments.statements); commit;
2. then for each default projection, in a transaction of its own under the same lock,
   store its document at that same head unless one exists.

What a reader sees meanwhile: each document stored is complete and consistent with its
head (its payment lines and statements commit with it), and a read takes the stored
document only at the current head and for the scenario it asks for. Between the two
steps a projection at the new head is simply not stored yet: a read computes it from the
same head (payments.schedule_builder), getting the bytes the recompute is about to store.
A projection of an older head is never served for the new one. If the chain moves
between the steps, the projections are still stored at the head they were computed for,
and the move has queued the next recompute.

Idempotent and restartable: a duplicate or retried task finds the rows and changes
nothing; a task killed half-way rolled back only the step it was in, and its redelivery
stores what is missing. It never appends to the chain: it only caches what the chain
already determines. (The task therefore runs its body outside the outbox's completion
transaction: payments.tasks.)
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
import uuid
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from payments.contract import CONTRACT_CHAIN_KIND
from payments.models import OutcomePaymentLine, ScheduleVersion, StatementVersion
from payments.outcome_payments import RECOMPUTE_TASK, result_ids
from payments.returns import investor_returns
from payments.rules import OutcomePaymentPlan
from payments.schedule_builder import (
    ACTUAL,
    DEFAULT_PROJECTIONS,
    RULES_VERSION,
    Scenario,
    ScheduleError,
    ScheduleState,
    document_bytes,
    scenario_for,
    schedule_compute,
    schedule_document,
    schedule_state,
)
from payments.statements import statement_of
from sib.chain import canonical_json, chain_lock
from sib.models import PartyRole, Programme
from sib.outbox import outbox_enqueue

__all__ = [
    "ACTUAL",
    "CONTRACT_CHAIN_KIND",
    "DEFAULT_PROJECTIONS",
    "ScheduleError",
    "document_bytes",
    "programme_recompute",
    "scenario_for",
    "schedule_document",
]

logger = logging.getLogger(__name__)


# --- Storing -------------------------------------------------------------------------------


def _store(*, state: ScheduleState, scenario: Scenario) -> Any:
    existing = ScheduleVersion.objects.filter(
        programme=state.programme,
        chain_head=state.head,
        scenario=scenario.name,
        rules_version=RULES_VERSION,
    ).first()
    if existing is not None:
        return existing
    document, plan = schedule_compute(state, scenario)
    text = document_bytes(document)
    version = ScheduleVersion.objects.create(
        programme=state.programme,
        chain_head=state.head,
        scenario=scenario.name,
        is_projection=scenario.is_projection,
        contract_version=state.contract,
        content=text,
        sha256=hashlib.sha256(text.encode()).hexdigest(),
        rules_version=RULES_VERSION,
    )
    if not scenario.is_projection:
        _store_lines(version, plan)
        _store_statements(version, document, state.seq)
    return version


def _store_statements(version: Any, document: dict[str, Any], seq: int) -> None:
    investors = version.programme.parties.filter(role=PartyRole.INVESTOR).values_list(
        "organisation__slug", flat=True
    )
    # What each investor received to date, as of the document's own chain state.
    returns = investor_returns(programme=version.programme, seq=seq, by_investor=True)
    statements = []
    for investor in sorted(set(investors)):
        text = canonical_json(statement_of(document, investor, returns))
        statements.append(
            StatementVersion(
                schedule=version,
                investor=investor,
                content=text,
                sha256=hashlib.sha256(text.encode()).hexdigest(),
            )
        )
    StatementVersion.objects.bulk_create(statements)


def _store_lines(version: Any, plan: OutcomePaymentPlan) -> None:
    OutcomePaymentLine.objects.bulk_create(
        [
            OutcomePaymentLine(
                programme_id=version.programme_id,
                version=version,
                position=position,
                metric=line.metric,
                cohort=line.cohort,
                period=line.period,
                result_ids=result_ids(line.result_ids),
                count=line.count,
                amount=line.amount,
                unit_price=line.unit_price,
                improvement=line.improvement,
                share_percent=line.share_percent,
                payers=[{"amount": p.amount, "payer": p.payer} for p in line.payers],
            )
            for position, line in enumerate(plan.lines, start=1)
            if line.amount > 0
        ]
    )


def programme_recompute(
    *, programme_id: int, projections: tuple[Decimal, ...] = DEFAULT_PROJECTIONS
) -> list[Any]:
    """Store the actual schedule at the chain head, then each default projection.

    One transaction for the actual document (with its payment lines and statements), then
    one per projection: the actual schedule is visible as soon as it is computed.
    """
    with transaction.atomic():
        # The chain lock serialises recomputes of one programme (two workers would otherwise
        # both find no version at the head and the second insert would fail) and keeps the
        # head still while its state is read, in the same lock order as verifications and
        # postings (see sib.chain.chain_lock).
        chain_lock(programme_id=programme_id)
        programme = Programme.objects.get(pk=programme_id)
        state = schedule_state(programme=programme)
        if state.contract is None:
            # Terms never chained (a programme from before the services chained them): a
            # stored document must name the contract version it was computed from, so
            # nothing is cached until the next change of terms chains one; reads compute.
            logger.warning("programme %s: no contract version, nothing stored", programme_id)
            return []
        _test_pause()
        versions = [_store(state=state, scenario=scenario_for(None))]
        _test_pause()
    for percent in projections:
        # The state read above is as of its chain entry (insert-only rows): still the
        # inputs of that head, whatever was appended since.
        with transaction.atomic():
            chain_lock(programme_id=programme_id)
            _test_pause()
            versions.append(_store(state=state, scenario=scenario_for(percent)))
    return versions


def _test_pause() -> None:
    # Test hook, set only by the test settings (tests/settings.py), absent in production:
    # the SIGKILL test (tests/payments/test_recompute_worker.py) stretches a recompute so
    # that its worker can be killed between any two steps, with the actual schedule written
    # and not committed, or some projections committed and others not yet computed. It
    # only sleeps; what is computed and stored is the same.
    pause_ms = getattr(settings, "RECOMPUTE_TEST_PAUSE_MS", 0)
    if pause_ms:
        time.sleep(pause_ms / 1000)


# --- Queuing the recompute when the chain moves -------------------------------------------

# The recompute message queued in the current transaction, per programme: (transaction
# id, {programme id: outbox message id}). Per thread, as Django's connections are.
_queued = threading.local()


def recompute_on_chain_move(programme: Programme) -> None:
    """Queue one schedule recompute per programme and transaction (sib.chain calls this).

    The message is an outbox row in the appending transaction: it commits with the change
    or not at all, and is published after commit. Later appends in the same transaction
    (a verification that also posts, a history import) find it and queue nothing more.
    """
    current: tuple[str, dict[int, uuid.UUID]] | None = getattr(_queued, "messages", None)
    known = current[1].get(programme.pk) if current is not None else None
    with connection.cursor() as cursor:
        # The transaction's id, and whether the message last queued for the programme is
        # still there (it may have been rolled back with a savepoint since: then queue
        # another), in one round trip; the second answer counts only in that transaction.
        cursor.execute(
            "SELECT pg_current_xact_id()::text,"
            " EXISTS (SELECT 1 FROM sib_outbox_message WHERE id = %s)",
            [known],
        )
        xid, present = cursor.fetchone()
    if current is None or current[0] != xid:
        current = _queued.messages = (xid, {})
    elif present:
        return
    message = outbox_enqueue(task_name=RECOMPUTE_TASK, kwargs={"programme_id": programme.pk})
    current[1][programme.pk] = message.id
