from celery import shared_task

from outcomes.import_jobs import IMPORT_TASK, import_job_run
from sib.outbox import OutboxTask


@shared_task(name=IMPORT_TASK, base=OutboxTask)
def import_job_run_task(*, job_id: int) -> None:
    """Run one queued CSV import (published through the outbox; safe to run again)."""
    import_job_run(job_id=job_id)
