from celery import shared_task

from outcomes.import_checks import import_checks_prune
from outcomes.import_jobs import IMPORT_TASK, import_job_run
from sib.outbox import OutboxTask


@shared_task(name=IMPORT_TASK, base=OutboxTask)
def import_job_run_task(*, job_id: int) -> None:
    """Run one queued CSV import (published through the outbox; safe to run again)."""
    import_job_run(job_id=job_id)


@shared_task(name="outcomes.import_checks_prune")
def import_checks_prune_task() -> int:
    """Delete checked CSV files never confirmed (beat, daily; a lost run waits a day)."""
    return import_checks_prune()
