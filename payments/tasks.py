"""Celery tasks of the money side. Tasks take ids, load nothing themselves, call one service."""

import logging

from celery import shared_task

from payments.outcome_payments import RECOMPUTE_TASK
from sib.outbox import OutboxTask

logger = logging.getLogger(__name__)


@shared_task(name=RECOMPUTE_TASK, base=OutboxTask, body_in_transaction=False)
def programme_recompute(*, programme_id: int) -> None:
    """Recompute outcome payments and schedules at the programme's chain head.

    Published through the outbox when the programme's chain moves. The service commits
    the actual schedule before the projections (payments.schedules), so its body runs
    outside the outbox's completion transaction; it is idempotent per chain head, so a
    redelivered or duplicate message changes nothing.
    """
    from payments.schedule_builder import ScheduleError
    from payments.schedules import programme_recompute as recompute

    try:
        recompute(programme_id=programme_id)
    except ScheduleError as exc:
        # The terms give no schedule at this head (a set-up half done: a guarantee with no
        # cover yet). Deterministic: a redelivery would fail the same way, or compute a
        # later head out of turn; the next change of the chain queues another recompute.
        logger.warning("programme %s: no schedule at this head: %s", programme_id, exc)
