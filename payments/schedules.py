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

The recompute is idempotent by construction:

1. take the programme's chain lock, so two recomputes of one programme run one after the
   other and the head does not move under them;
2. for the "actual" scenario and each default projection, if a `ScheduleVersion` exists at
   (programme, chain head, scenario) there is nothing to do; otherwise compute the document
   and insert it (with the outcome payment lines of the actual scenario).

A duplicate or retried task therefore changes nothing, and a task killed half-way rolled
back everything it wrote. It never appends to the chain: it only caches what the chain
already determines.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext

from payments.contract import CONTRACT_CHAIN_KIND, contract_version_record
from payments.models import OutcomePaymentLine, ScheduleVersion, TransactionKind
from payments.outcome_payments import RECOMPUTE_TASK, result_ids
from payments.rules import OutcomePaymentPlan
from payments.schedule_builder import (
    ACTUAL,
    DEFAULT_PROJECTIONS,
    Scenario,
    ScheduleError,
    ScheduleState,
    document_bytes,
    scenario_for,
    schedule_compute,
    schedule_document,
    schedule_state,
)
from sib.chain import chain_head, chain_lock
from sib.models import OutboxMessage, Programme
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
        programme=state.programme, chain_head=state.head, scenario=scenario.name
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
    )
    if not scenario.is_projection:
        _store_lines(version, plan)
    return version


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
    """Compute and store the actual schedule and the default projections at the chain head."""
    with transaction.atomic():
        # The chain lock serialises recomputes of one programme (two workers would otherwise
        # both find no version at the head and the second insert would fail) and keeps the
        # head still while the documents are computed, in the same lock order as
        # verifications and postings (see sib.chain.chain_lock).
        chain_lock(programme_id=programme_id)
        programme = Programme.objects.get(pk=programme_id)
        state = schedule_state(programme=programme)
        if state.contract is None:
            # Terms never chained (a programme from before the services chained them): a
            # stored document must name the contract version it was computed from, so
            # nothing is cached until the next change of terms chains one; reads compute.
            logger.warning("programme %s: no contract version, nothing stored", programme_id)
            return []
        scenarios = [scenario_for(None), *(scenario_for(p) for p in projections)]
        versions = []
        for scenario in scenarios:
            _test_pause()
            versions.append(_store(state=state, scenario=scenario))
        _test_pause()
        return versions


def _test_pause() -> None:
    # Test hook, set only by the test settings (tests/settings.py), absent in production:
    # the SIGKILL test (tests/payments/test_recompute_worker.py) stretches a recompute so
    # that its worker can be killed between any two steps, with some scenarios written and
    # not committed. It only sleeps; what is computed and stored is the same.
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
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_xact_id()::text")
        (xid,) = cursor.fetchone()
    current: tuple[str, dict[int, uuid.UUID]] | None = getattr(_queued, "messages", None)
    if current is None or current[0] != xid:
        current = _queued.messages = (xid, {})
    message_id = current[1].get(programme.pk)
    # The message may have been rolled back with a savepoint since: then queue another.
    if message_id is not None and OutboxMessage.objects.filter(id=message_id).exists():
        return
    message = outbox_enqueue(task_name=RECOMPUTE_TASK, kwargs={"programme_id": programme.pk})
    current[1][programme.pk] = message.id


def recompute_enqueue(*, programme: Programme) -> None:
    """Queue the recompute now (normally done by the chain move itself: then a no-op)."""
    recompute_on_chain_move(programme)


# Kept for distribution_record below until it is rewritten on the builder: a service, so
# recording the terms there is a write in a write.
contract_version_ensure = contract_version_record


def actual_document(
    *, programme: Programme, chain_head_hash: str, contract_digest: str
) -> tuple[dict[str, Any], OutcomePaymentPlan]:
    """Return the actual document at the current head and its plan (for distribution_record).

    `chain_head_hash` and `contract_digest` are those of the head; the builder reads them.
    """
    state = schedule_state(programme=programme)
    return schedule_compute(state, scenario_for(None))


# --- Actual distributions -----------------------------------------------------------------

DISTRIBUTION = TransactionKind.DISTRIBUTION  # money paid out by the waterfall


@dataclass(frozen=True)
class PaidOut:
    """One amount a fund manager says was paid: a waterfall step to one recipient."""

    step_kind: str
    recipient: str
    amount: int
    tranche: str | None = None


def _expected_on(document: dict[str, Any], on: date) -> dict[tuple[str, str | None, str], int]:
    expected: dict[tuple[str, str | None, str], int] = defaultdict(int)
    for row in document["schedule"]["distributions"]:
        if row["on"] == on.isoformat() and row["step_kind"] != "recycle":
            expected[(row["step_kind"], row["tranche"], row["recipient"])] += row["amount"]
    return expected


def distribution_record(
    *,
    programme: Programme,
    paid_on: date,
    lines: list[PaidOut],
    actor: Any,
    idempotency_key: str = "",
) -> Any:
    """Post the distributions of one payment date; refuse unless they equal the schedule.

    Legs: Cr programme cash for the total; Dr each investor's principal, return or
    guarantee account (what the programme owes them goes down), Dr the provider funding
    account of a fee or success-fee recipient. Recycled money stays in programme cash, so
    it posts nothing. Every difference from the computed schedule is named in the refusal.
    """
    from payments import ledger
    from payments.ledger import LegSpec
    from payments.models import AccountKind, Commitment, LedgerTransaction
    from payments.services import amount_text
    from sib.models import Organisation

    with transaction.atomic():
        chain_lock(programme_id=programme.pk)
        locked = Programme.objects.get(pk=programme.pk)
        contract = contract_version_ensure(programme=locked)
        document, _ = actual_document(
            programme=locked,
            chain_head_hash=chain_head(programme_id=locked.pk),
            contract_digest=contract.digest,
        )
        expected = _expected_on(document, paid_on)
        if not expected:
            raise ValidationError(
                {"paid_on": gettext("The schedule pays nothing on %(date)s.") % {"date": paid_on}}
            )
        if LedgerTransaction.objects.filter(
            programme=locked, kind=DISTRIBUTION, occurred_on=paid_on, reversal__isnull=True
        ).exists():
            raise ValidationError(
                {
                    "paid_on": gettext("The distributions of %(date)s are recorded.")
                    % {"date": paid_on}
                }
            )
        currency = locked.currency
        given: dict[tuple[str, str | None, str], int] = defaultdict(int)
        for line in lines:
            if (
                isinstance(line.amount, bool)
                or not isinstance(line.amount, int)
                or line.amount <= 0
            ):
                raise ValidationError(
                    {"lines": gettext("Each amount is a positive int of minor units.")}
                )
            given[(line.step_kind, line.tranche, line.recipient)] += line.amount
        differences = [
            gettext(
                "Differs from the computed schedule: %(line)s: schedule %(expected)s, "
                "recorded %(given)s."
            )
            % {
                "line": f"{kind} {tranche + '/' if tranche else ''}{recipient}",
                "expected": amount_text(expected.get((kind, tranche, recipient), 0), currency),
                "given": amount_text(given.get((kind, tranche, recipient), 0), currency),
            }
            for kind, tranche, recipient in sorted(
                set(expected) | set(given), key=lambda k: (k[0], k[1] or "", k[2])
            )
            if expected.get((kind, tranche, recipient), 0)
            != given.get((kind, tranche, recipient), 0)
        ]
        if differences:
            raise ValidationError({"lines": differences})
        legs = [
            LegSpec(
                ledger.account_for(programme=locked, kind=AccountKind.PROGRAMME_CASH),
                credit=sum(given.values()),
            )
        ]
        kinds = {
            "principal": AccountKind.INVESTOR_PRINCIPAL,
            "return": AccountKind.INVESTOR_RETURN,
            "guarantee_reimbursement": AccountKind.GUARANTEE,
        }
        for (kind, tranche, recipient), amount in sorted(
            given.items(), key=lambda item: (item[0][0], item[0][1] or "", item[0][2])
        ):
            if tranche is not None:
                commitment = Commitment.objects.select_related("tranche", "investor").get(
                    programme=locked, tranche__key=tranche, investor__slug=recipient
                )
                account = ledger.account_for(
                    programme=locked, kind=kinds[kind], commitment=commitment
                )
            else:
                account = ledger.account_for(
                    programme=locked,
                    kind=AccountKind.PROVIDER_FUNDING,
                    organisation=Organisation.objects.get(slug=recipient),
                )
            legs.append(LegSpec(account, debit=amount))
        tx = ledger.transaction_post(
            programme=locked,
            kind=DISTRIBUTION,
            occurred_on=paid_on,
            legs=legs,
            actor=actor,
            idempotency_key=idempotency_key,
            description=f"Waterfall distributions of {paid_on}",
        )
        recompute_enqueue(programme=locked)
        return tx
