"""Chain checks in the worker, never in a request: full ones and routine ones.

`chain_verify` (sib.chain_verification) reads every record of a programme; on a large
chain that is seconds of database time, which a web request should not hold. The portal
asks for a check (`chain_check_request`), a worker on the reports queue runs it
(`chain_check_run`), and the page shows its progress — queued, running since, done — and
its result.

Two kinds. A *full* check recomputes the whole chain and compares it with every signed
checkpoint. A *routine* check (sib.chain_routine) starts from the signed checkpoint where
the programme's last check, if it found the chain whole, ended, and reads only the entries
after it: its time grows with what was added, not with the chain. A check that finds the
chain whole has the ledger sign a checkpoint of the head it verified (sib.checkpoints),
where the next routine check starts; the check records which entries it verified
(`from_seq`, `to_seq`). A routine check with nowhere to start (no good check before, its
checkpoint gone, or signed by another key) runs as a full one; one whose checkpoint's
entry has changed reports it and asks for a full check.

Beat (`chain_checks_schedule`) runs daily: a routine check of every programme not checked
for a day, a full one where no full check was asked for within a week. The portal asks for
full checks. One check waits or runs per programme at a time (a partial unique index):
asking again while one is pending returns it.
"""

import dataclasses
import logging
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from sib.chain_completeness import ChainBreak
from sib.chain_routine import RoutineVerification, chain_record_keys, chain_verify_since
from sib.chain_verification import ChainVerification, chain_verify
from sib.checkpoints import checkpoint_issue, checkpoint_mismatches, checkpoint_sound
from sib.models import (
    ChainCheck,
    ChainCheckKind,
    ChainCheckpoint,
    ChainCheckStatus,
    Programme,
    ProgrammeStatus,
    User,
)
from sib.outbox import outbox_enqueue

logger = logging.getLogger(__name__)

CHECK_TASK = "sib.chain_check_run"
PENDING = (ChainCheckStatus.QUEUED, ChainCheckStatus.RUNNING)
# The daily schedule skips a programme checked more recently than this...
DAILY = timedelta(hours=23)
# ...and asks for a full check where none was asked for within this.
FULL_EVERY = timedelta(days=7)

# Why a routine check has nowhere to start, and runs in full (chain_routine_start).
NO_CHECK = "no check of this programme has finished"
LAST_BROKEN = (
    "the last check (#{check}) found the chain broken: a routine check never starts behind "
    "a break already found"
)
NO_CHECKPOINT = "the last check (#{check}) has no signed checkpoint of the head it verified"
CHECKPOINT_UNSOUND = (
    "the signed checkpoint at seq {seq} does not verify with the current certificate "
    "(changed, or signed with a key since replaced)"
)

CHECKPOINT_LEFT = (
    "the chain no longer passes through the signed checkpoint of this position (head {head}): "
    "it was changed at or before it"
)


@dataclass(frozen=True)
class RoutineStart:
    """Where a routine check starts: the signed checkpoint the last good check ended at."""

    checkpoint: ChainCheckpoint | None
    # What that check accounted for (per kind, the highest record key): where the routine
    # check looks for records created since.
    record_keys: dict[str, int]
    # When there is no checkpoint: why (then the check runs in full).
    reason: str = ""


@dataclass(frozen=True)
class ChainCheckOutcome:
    """A check as run: its kind, the entries it verified and its result."""

    kind: str  # the kind that ran: a routine check with nowhere to start runs in full
    from_seq: int  # entries after it were verified (a full check: 0)
    to_seq: int
    verification: ChainVerification | RoutineVerification
    record_keys: dict[str, int]  # where the next routine check looks for new records
    checkpoint: ChainCheckpoint | None = None  # the routine check's start
    fallback: str = ""  # why a routine check asked for ran in full


def result_as_dict(
    verification: ChainVerification | RoutineVerification, *, record_keys: dict[str, int]
) -> dict[str, Any]:
    """Return a verification as stored and shown: plain JSON values.

    `record_keys` (per kind, the highest record key accounted for) is where the next
    routine check looks for records created since.
    """
    return {
        "ok": verification.ok,
        "entries": verification.entries,
        "head": verification.head,
        "first_break": asdict(verification.first_break) if verification.first_break else None,
        "gaps": [asdict(gap) for gap in verification.gaps],
        "record_keys": record_keys,
    }


def chain_check_request(
    *, programme: Programme, user: User | None, kind: str = ChainCheckKind.FULL
) -> ChainCheck:
    """Queue a check of the programme's chain, or return the one already pending."""
    try:
        with transaction.atomic():
            check = ChainCheck.objects.create(programme=programme, requested_by=user, kind=kind)
            outbox_enqueue(task_name=CHECK_TASK, kwargs={"check_id": check.pk})
            return check
    except IntegrityError:
        # chain_check_one_pending: someone asked first; theirs answers this request too.
        return ChainCheck.objects.get(programme=programme, status__in=PENDING)


def chain_check_run(*, check_id: int) -> ChainCheck:
    """Run a queued check (the worker): mark it running, verify, store the result.

    "Running" commits on its own, so the page shows it while the check reads the chain. A
    redelivered message finds the check done and changes nothing; a check left running by
    a killed worker runs again. A check that finds the chain whole ends at a signed
    checkpoint of the head it verified.
    """
    with transaction.atomic():
        check = ChainCheck.objects.select_for_update().get(pk=check_id)
        if check.status not in PENDING:
            return check
        check.status, check.started_at = ChainCheckStatus.RUNNING, timezone.now()
        check.save(update_fields=["status", "started_at"])
    try:
        outcome = _check(check.programme_id, check.kind, exclude_check_id=check.pk)
    except Exception as error:
        # Recorded for the page and the operators; asking again runs a new check.
        logger.exception("chain check %s failed", check_id)
        check.status, check.failure = ChainCheckStatus.FAILED, f"{type(error).__name__}: {error}"
        check.finished_at = timezone.now()
        check.save(update_fields=["status", "failure", "finished_at"])
        return check
    check.kind, check.from_seq, check.to_seq = outcome.kind, outcome.from_seq, outcome.to_seq
    check.result = result_as_dict(outcome.verification, record_keys=outcome.record_keys)
    check.status, check.finished_at = ChainCheckStatus.DONE, timezone.now()
    check.save(update_fields=["kind", "from_seq", "to_seq", "status", "result", "finished_at"])
    if check.result["ok"]:
        _checkpoint_sign(check)
    if isinstance(outcome.verification, RoutineVerification) and outcome.verification.start_moved:
        # Nothing after a changed checkpoint can be vouched for by a routine check.
        chain_check_request(programme=check.programme, user=None, kind=ChainCheckKind.FULL)
    return check


def chain_check_now(*, programme_id: int, kind: str = ChainCheckKind.FULL) -> ChainCheckOutcome:
    """Run a check of the programme's chain here and now (ledger_verify); record nothing.

    The same check as the worker's: a routine one starts where the programme's last check
    (the worker's) ended, and runs in full, saying why, when it has nowhere to start. It
    signs no checkpoint: the next routine check starts where it would have.
    """
    return _check(programme_id, kind, exclude_check_id=None)


def _check(programme_id: int, kind: str, *, exclude_check_id: int | None) -> ChainCheckOutcome:
    fallback = ""
    if kind == ChainCheckKind.ROUTINE:
        start = chain_routine_start(programme_id=programme_id, exclude_check_id=exclude_check_id)
        if start.checkpoint is not None:
            routine = chain_verify_since(
                programme_id=programme_id,
                from_seq=start.checkpoint.seq,
                from_head=start.checkpoint.head,
                record_keys=start.record_keys,
            )
            return ChainCheckOutcome(
                ChainCheckKind.ROUTINE,
                routine.from_seq,
                routine.to_seq,
                routine,
                routine.record_keys,
                start.checkpoint,
            )
        fallback = start.reason
    # Before the chain is read: records created meanwhile are the next routine check's.
    keys = chain_record_keys(programme_id=programme_id)
    full = _with_checkpoints(chain_verify(programme_id=programme_id))
    return ChainCheckOutcome(ChainCheckKind.FULL, 0, full.entries, full, keys, fallback=fallback)


def chain_routine_start(*, programme_id: int, exclude_check_id: int | None = None) -> RoutineStart:
    """Return the signed checkpoint the programme's last check ended at, or why there is none.

    Only when that check (the last one done, full or routine; `exclude_check_id` is the
    one asking) found the chain whole: a routine check never starts behind a break already
    found. The checkpoint must still be there, at the head that check verified, signed by
    the ledger's current key.
    """
    done = ChainCheck.objects.filter(programme_id=programme_id, status=ChainCheckStatus.DONE)
    if exclude_check_id is not None:
        done = done.exclude(pk=exclude_check_id)
    last = done.order_by("-finished_at", "-pk").first()
    if last is None:
        return RoutineStart(None, {}, NO_CHECK)
    result = last.result or {}
    if not result.get("ok"):
        return RoutineStart(None, {}, LAST_BROKEN.format(check=last.pk))
    keys = result.get("record_keys")
    checkpoint = (
        None
        if last.to_seq is None  # a check from before checks said where they ended
        else ChainCheckpoint.objects.filter(programme_id=programme_id, seq=last.to_seq).first()
    )
    if keys is None or checkpoint is None or checkpoint.head != result.get("head"):
        return RoutineStart(None, {}, NO_CHECKPOINT.format(check=last.pk))
    if not checkpoint_sound(checkpoint=checkpoint):
        logger.warning("checkpoint %s does not verify: a full check instead", checkpoint.pk)
        return RoutineStart(None, {}, CHECKPOINT_UNSOUND.format(seq=checkpoint.seq))
    return RoutineStart(checkpoint, keys)


def _with_checkpoints(verification: ChainVerification) -> ChainVerification:
    """Add to a full check the signed checkpoints the chain no longer passes through."""
    left = [
        ChainBreak(seq, "", "", CHECKPOINT_LEFT.format(head=head))
        for seq, head in checkpoint_mismatches(programme_id=verification.programme_id)
    ]
    if not left:
        return verification
    breaks = [b for b in (verification.first_break, left[0]) if b is not None]
    return dataclasses.replace(
        verification,
        first_break=min(breaks, key=lambda b: b.seq),
        gaps=(*verification.gaps, *left),
    )


def _checkpoint_sign(check: ChainCheck) -> None:
    """Sign the head a check verified: where the next routine check starts."""
    try:
        checkpoint_issue(programme=check.programme, seq=check.to_seq)
    except Exception:
        # The check stands; without the checkpoint the next routine check runs in full.
        logger.exception("chain check %s: no checkpoint signed", check.pk)


def chain_check_latest(*, programme: Programme) -> ChainCheck | None:
    """Return the programme's most recent check (pending or finished), if any."""
    return ChainCheck.objects.filter(programme=programme).select_related("requested_by").first()


def chain_checks_schedule() -> int:
    """Queue the checks due (beat, daily); return how many.

    Every programme not checked for a day: a full check if none was asked for within a
    week (FULL_EVERY), else a routine one.
    """
    now = timezone.now()
    recent = ChainCheck.objects.filter(requested_at__gte=now - DAILY).values("programme_id")
    full_recently = set(
        ChainCheck.objects.filter(kind=ChainCheckKind.FULL, requested_at__gte=now - FULL_EVERY)
        .exclude(status=ChainCheckStatus.FAILED)
        .values_list("programme_id", flat=True)
    )
    programmes = Programme.objects.exclude(status=ProgrammeStatus.DRAFT).exclude(pk__in=recent)
    queued = 0
    for programme in programmes:
        kind = ChainCheckKind.ROUTINE if programme.pk in full_recently else ChainCheckKind.FULL
        chain_check_request(programme=programme, user=None, kind=kind)
        queued += 1
    return queued
