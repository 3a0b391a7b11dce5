"""Upkeep of the service itself: the worker's heartbeat, the outbox's lag, retention.

Writes (`worker_heartbeat_record`, `retention_prune`) and the reads /healthz makes
(`worker_heartbeat_latest`, `outbox_oldest_waiting`). Nothing here touches programme data.

Retention. Two tables grow with every write and hold nothing the ledger needs once their
job is done:
- `sib_outbox_message`: a completed message only proves that a task ran (its effects are in
  their own tables, chained where they matter). Completed messages older than
  OUTBOX_RETENTION_DAYS are deleted; failed ones are kept for inspection, and a message still
  waiting is never touched.
- `sib_idempotency_record`: the response to a write made with an Idempotency-Key, kept to
  answer the client's retries. After IDEMPOTENCY_RETENTION_DAYS a retry with the same key is
  a new request: clients must not retry a write older than that.
Neither table is insert-only (no protecting trigger, sib.db.insert_only): the application
role may delete from them, so pruning is ordinary work, not an exception to the ledger's
rule that nothing recorded is ever deleted.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from sib.models import IdempotencyRecord, OutboxMessage, WorkerHeartbeat


@dataclass(frozen=True, slots=True)
class Pruned:
    """How many rows of each kind `retention_prune` deleted."""

    outbox_messages: int
    idempotency_records: int
    worker_heartbeats: int


def worker_heartbeat_record(*, hostname: str, pid: int) -> None:
    """Record that the worker `hostname` is alive now (the outbox relay calls this)."""
    WorkerHeartbeat.objects.update_or_create(
        hostname=hostname, defaults={"pid": pid, "beat_at": timezone.now()}
    )


def worker_heartbeat_latest() -> datetime | None:
    """Return when any worker last beat, or None if none ever did."""
    latest = WorkerHeartbeat.objects.order_by("-beat_at").values_list("beat_at", flat=True)
    return latest.first()


def outbox_oldest_waiting() -> datetime | None:
    """Return when the oldest message neither completed nor failed was written, if any."""
    waiting = OutboxMessage.objects.filter(completed_at__isnull=True, failed_at__isnull=True)
    return waiting.order_by("created_at").values_list("created_at", flat=True).first()


def retention_prune(*, now: datetime | None = None) -> Pruned:
    """Delete what the retention settings no longer keep; return how many rows of each."""
    now = now or timezone.now()
    outbox_before = now - timedelta(days=settings.OUTBOX_RETENTION_DAYS)
    idempotency_before = now - timedelta(days=settings.IDEMPOTENCY_RETENTION_DAYS)
    with transaction.atomic():
        outbox, _ = OutboxMessage.objects.filter(completed_at__lt=outbox_before).delete()
        idempotency, _ = IdempotencyRecord.objects.filter(
            created_at__lt=idempotency_before
        ).delete()
        # A worker gone for longer than the outbox is kept has no reason to be listed.
        heartbeats, _ = WorkerHeartbeat.objects.filter(beat_at__lt=outbox_before).delete()
    return Pruned(
        outbox_messages=outbox, idempotency_records=idempotency, worker_heartbeats=heartbeats
    )
