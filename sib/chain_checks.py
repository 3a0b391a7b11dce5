"""Chain checks in the worker: a full recompute of a programme's chain, never in a request.

`chain_verify` (sib.chain_verification) reads every record of a programme; on a large
chain that is seconds of database time, which a web request should not hold. The portal
asks for a check (`chain_check_request`), a worker on the reports queue runs it
(`chain_check_run`), and the page shows its progress — queued, running since, done — and
its result. Every programme is also checked once a day by beat (`chain_checks_schedule`),
so a change made behind the application's back is found even if nobody asks.

One check waits or runs per programme at a time (a partial unique index): asking again
while one is pending returns it.
"""

import logging
from dataclasses import asdict
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from sib.chain_verification import ChainVerification, chain_verify
from sib.models import ChainCheck, ChainCheckStatus, Programme, ProgrammeStatus, User
from sib.outbox import outbox_enqueue

logger = logging.getLogger(__name__)

CHECK_TASK = "sib.chain_check_run"
PENDING = (ChainCheckStatus.QUEUED, ChainCheckStatus.RUNNING)
# The daily schedule skips a programme checked more recently than this.
DAILY = timedelta(hours=23)


def result_as_dict(verification: ChainVerification) -> dict[str, Any]:
    """Return a verification as stored and shown: plain JSON values."""
    return {
        "ok": verification.ok,
        "entries": verification.entries,
        "head": verification.head,
        "first_break": asdict(verification.first_break) if verification.first_break else None,
        "gaps": [asdict(gap) for gap in verification.gaps],
    }


def chain_check_request(*, programme: Programme, user: User | None) -> ChainCheck:
    """Queue a full check of the programme's chain, or return the one already pending."""
    try:
        with transaction.atomic():
            check = ChainCheck.objects.create(programme=programme, requested_by=user)
            outbox_enqueue(task_name=CHECK_TASK, kwargs={"check_id": check.pk})
            return check
    except IntegrityError:
        # chain_check_one_pending: someone asked first; theirs answers this request too.
        return ChainCheck.objects.get(programme=programme, status__in=PENDING)


def chain_check_run(*, check_id: int) -> ChainCheck:
    """Run a queued check (the worker): mark it running, verify, store the result.

    "Running" commits on its own, so the page shows it while the check reads the chain. A
    redelivered message finds the check done and changes nothing; a check left running by
    a killed worker runs again.
    """
    with transaction.atomic():
        check = ChainCheck.objects.select_for_update().get(pk=check_id)
        if check.status not in PENDING:
            return check
        check.status, check.started_at = ChainCheckStatus.RUNNING, timezone.now()
        check.save(update_fields=["status", "started_at"])
    try:
        verification = chain_verify(programme_id=check.programme_id)
    except Exception as error:
        # Recorded for the page and the operators; asking again runs a new check.
        logger.exception("chain check %s failed", check_id)
        check.status, check.failure = ChainCheckStatus.FAILED, f"{type(error).__name__}: {error}"
        check.finished_at = timezone.now()
        check.save(update_fields=["status", "failure", "finished_at"])
        return check
    check.status, check.result = ChainCheckStatus.DONE, result_as_dict(verification)
    check.finished_at = timezone.now()
    check.save(update_fields=["status", "result", "finished_at"])
    return check


def chain_check_latest(*, programme: Programme) -> ChainCheck | None:
    """Return the programme's most recent check (pending or finished), if any."""
    return ChainCheck.objects.filter(programme=programme).select_related("requested_by").first()


def chain_checks_schedule() -> int:
    """Queue a check of every programme not checked for a day (beat, daily); return how many."""
    since = timezone.now() - DAILY
    recent = ChainCheck.objects.filter(requested_at__gte=since).values("programme_id")
    programmes = Programme.objects.exclude(status=ProgrammeStatus.DRAFT).exclude(pk__in=recent)
    queued = 0
    for programme in programmes:
        chain_check_request(programme=programme, user=None)
        queued += 1
    return queued
