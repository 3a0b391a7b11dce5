"""Celery tasks of the money side. Tasks take ids, load nothing themselves, call one service."""

import logging

from celery import shared_task

from payments.outcome_payments import RECOMPUTE_TASK
from payments.redemption_dues import BOOK_TASK, redemption_dues_book, redemption_dues_schedule
from payments.schedule_builder import ScheduleError
from payments.schedules import programme_recompute as recompute
from sib.models import Programme
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
    try:
        recompute(programme_id=programme_id)
    except ScheduleError as exc:
        # The terms give no schedule at this head (a set-up half done: a guarantee with no
        # cover yet). Deterministic: a redelivery would fail the same way, or compute a
        # later head out of turn; the next change of the chain queues another recompute.
        logger.warning("programme %s: no schedule at this head: %s", programme_id, exc)


@shared_task(name="payments.redemption_dues_schedule")
def redemption_dues_schedule_task() -> int:
    """Queue each programme's booking of the redemptions whose date has come (beat, daily).

    Not through the outbox itself: each booking it asks for is; a lost run is done the
    next day.
    """
    return redemption_dues_schedule()


@shared_task(name=BOOK_TASK, base=OutboxTask)
def redemption_dues_book_task(*, programme_id: int) -> int:
    """Book one programme's redemptions due by today; return how many transactions.

    The body commits with the outbox's completion mark, and the booking is a difference
    from what the ledger shows, so a redelivered message books nothing twice.
    """
    programme = Programme.objects.get(pk=programme_id)
    return len(redemption_dues_book(programme=programme))
