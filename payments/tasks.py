"""Celery tasks of the money side. Tasks take ids, load nothing themselves, call one service."""

from celery import shared_task

from payments.outcome_payments import RECOMPUTE_TASK
from sib.outbox import OutboxTask


@shared_task(name=RECOMPUTE_TASK, base=OutboxTask)
def programme_recompute(*, programme_id: int) -> None:
    """Recompute outcome payments and schedules at the programme's chain head.

    Published through the outbox when the programme's chain moves; OutboxTask
    makes a redelivered message a no-op, and the service itself is idempotent per chain
    head, so even a plain duplicate changes nothing.
    """
    from payments.schedules import programme_recompute as recompute

    recompute(programme_id=programme_id)
