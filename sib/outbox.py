"""The transactional outbox: enqueue work in the same transaction as the change behind it.

Guarantees:
- a message is written only if its transaction commits, so rolled-back work never runs;
- a committed message is published right after commit, and the relay (a periodic task in
  the worker) re-publishes any message whose publish did not happen, so nothing is lost
  between commit and publish;
- the Celery task id is the message id, and `OutboxTask` records completion in the same
  transaction as the task's own writes, so a redelivered message changes nothing twice;
- a message that keeps killing its worker is marked failed after OUTBOX_MAX_ATTEMPTS starts.
"""

import logging
import uuid
from datetime import timedelta
from typing import Any

from celery import Task, current_app
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from sib.models import OutboxMessage
from sib.observability import current_request_id

logger = logging.getLogger(__name__)

# How long a publisher owns a message before the relay may try it again.
PUBLISH_LEASE = timedelta(seconds=30)


def outbox_enqueue(*, task_name: str, kwargs: dict[str, Any] | None = None) -> OutboxMessage:
    """Record a task to run once the current transaction commits."""
    message = OutboxMessage.objects.create(
        task_name=task_name, kwargs=kwargs or {}, request_id=current_request_id() or ""
    )
    transaction.on_commit(lambda: outbox_publish(message_id=message.id), robust=True)
    return message


def outbox_publish(*, message_id: uuid.UUID) -> bool:
    """Publish one message unless it is published or leased; return whether it was sent."""
    now = timezone.now()
    # A conditional UPDATE claims the message, so the after-commit publisher and the relay
    # never send the same message at the same time.
    claimed = (
        OutboxMessage.objects.filter(id=message_id, published_at__isnull=True)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(lease_until=now + PUBLISH_LEASE, publish_attempts=F("publish_attempts") + 1)
    )
    if not claimed:
        return False
    message = OutboxMessage.objects.get(id=message_id)
    try:
        current_app.send_task(
            message.task_name,
            kwargs=message.kwargs,
            task_id=str(message.id),
            headers={"request_id": message.request_id},
            retry=True,
            retry_policy={"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5},
        )
    except Exception:
        # The lease expires and the relay tries again; the change itself is committed.
        logger.exception("outbox publish failed for %s", message_id)
        return False
    OutboxMessage.objects.filter(id=message_id).update(published_at=timezone.now())
    return True


def outbox_relay(*, limit: int = 200) -> int:
    """Publish committed messages that were never published, or published and never done.

    The second kind covers a worker killed mid-task whose broker lost the unacknowledged
    message (kill -9 with a database or Redis broker): the outbox, not the broker, is what
    guarantees delivery. Re-publishing is safe because `OutboxTask` completes a message
    once, in the same transaction as its effects.
    """
    now = timezone.now()
    stalled = now - timedelta(seconds=settings.OUTBOX_REDELIVER_AFTER)
    OutboxMessage.objects.filter(
        published_at__lt=stalled, completed_at__isnull=True, failed_at__isnull=True
    ).update(published_at=None, lease_until=None)
    pending = (
        OutboxMessage.objects.filter(published_at__isnull=True)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .order_by("created_at")
        .values_list("id", flat=True)[:limit]
    )
    return sum(outbox_publish(message_id=message_id) for message_id in list(pending))


class OutboxTask(Task):
    """Run a task published from the outbox at most once in effect, however often delivered.

    The start is counted in its own transaction (so a worker killed mid-task still counts),
    then the task body and the completion mark commit together under a row lock, so a
    duplicate delivery waits and then finds the message complete.

    A task whose body is idempotent by itself and commits in steps of its own (the
    schedule recompute: the actual schedule first, then each projection) sets
    `body_in_transaction = False`: its body runs outside that transaction, and the
    completion is marked after it, so a duplicate delivery may run the body again and
    finds its work done.
    """

    body_in_transaction = True

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        message_id = self.request.id
        if message_id is None or not OutboxMessage.objects.filter(id=message_id).exists():
            return super().__call__(*args, **kwargs)
        if not _outbox_start(message_id):
            return None
        if not self.body_in_transaction:
            result = super().__call__(*args, **kwargs)
            OutboxMessage.objects.filter(id=message_id, completed_at__isnull=True).update(
                completed_at=timezone.now()
            )
            return result
        with transaction.atomic():
            message = OutboxMessage.objects.select_for_update().get(id=message_id)
            if message.completed_at is not None:
                return None
            result = super().__call__(*args, **kwargs)
            message.completed_at = timezone.now()
            message.save(update_fields=["completed_at"])
        return result


def _outbox_start(message_id: str) -> bool:
    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update().get(id=message_id)
        if message.completed_at is not None or message.failed_at is not None:
            return False
        message.started_count += 1
        if message.started_count > settings.OUTBOX_MAX_ATTEMPTS:
            message.failed_at = timezone.now()
            message.failure = f"gave up after {settings.OUTBOX_MAX_ATTEMPTS} starts"
            message.save(update_fields=["started_count", "failed_at", "failure"])
            logger.error("outbox message %s failed: too many starts", message_id)
            return False
        message.save(update_fields=["started_count"])
        return True
