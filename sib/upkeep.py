"""Upkeep of the service itself: retention. Nothing here touches programme data.

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

from sib.models import IdempotencyRecord, OutboxMessage


@dataclass(frozen=True, slots=True)
class Pruned:
    """How many rows of each kind `retention_prune` deleted."""

    outbox_messages: int
    idempotency_records: int


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
    return Pruned(outbox_messages=outbox, idempotency_records=idempotency)
