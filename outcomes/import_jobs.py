"""Queued imports: a large CSV loaded by the import workers, not in the caller's process.

`import_job_queue` stores the file and publishes `outcomes.import_job_run` through the
outbox in one transaction; the task runs on the imports queue (CELERY_TASK_ROUTES), so a
million-row file never waits in front of a recompute or a report. The import itself is
`results_import`, all or nothing, as when it runs inline.
"""

from typing import IO

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from outcomes.csv_import import results_import
from outcomes.csv_reading import ImportRejected
from outcomes.models import ImportJob, ImportJobStatus, Stage
from sib.models import Programme, User
from sib.outbox import outbox_enqueue

IMPORT_TASK = "outcomes.import_job_run"


def import_job_queue(
    *,
    programme: Programme,
    user: User,
    stream: IO[bytes],
    filename: str = "",
    decimal_comma: bool = False,
    stage: str = Stage.INTERIM,
    over_planned_size: bool = False,
) -> ImportJob:
    """Store a CSV and queue its import; the caller has checked that `user` may submit.

    The file is written to storage before the job row commits, so a worker never finds a
    job without its file; a job that fails to commit here deletes its file again.
    """
    with transaction.atomic():
        job = ImportJob(
            programme=programme,
            requested_by=user,
            filename=filename[:255],
            decimal_comma=decimal_comma,
            stage=stage,
            over_planned_size=over_planned_size,
        )
        job.file.save("upload.csv", File(stream), save=False)
        name = str(job.file.name)
        try:
            job.save()
            outbox_enqueue(task_name=IMPORT_TASK, kwargs={"job_id": job.pk})
        except BaseException:
            default_storage.delete(name)
            raise
    return job


def import_job_run(*, job_id: int) -> ImportJob:
    """Run a queued import once: record its batch or its errors, then delete the file.

    Runs inside the outbox task's transaction, under a row lock: a redelivered message
    finds the job finished and changes nothing. The file is deleted only after commit, so
    a worker killed mid-import leaves it for the redelivery.
    """
    with transaction.atomic():
        job = (
            ImportJob.objects.select_for_update(of=("self",))
            .select_related("programme", "requested_by")
            .get(pk=job_id)
        )
        if job.status != ImportJobStatus.QUEUED:
            return job
        try:
            with default_storage.open(str(job.file.name), "rb") as stream:
                summary = results_import(
                    programme=job.programme,
                    user=job.requested_by,
                    stream=stream,
                    filename=job.filename,
                    decimal_comma=job.decimal_comma,
                    stage=job.stage,
                    over_planned_size=job.over_planned_size,
                )
        except ImportRejected as exc:
            job.status = ImportJobStatus.REFUSED
            job.error_count = exc.total
            job.errors = [error.as_dict() for error in exc.errors]
        else:
            job.status = ImportJobStatus.DONE
            job.batch_id = summary.batch_id
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "error_count", "errors", "batch", "finished_at"])
        name = str(job.file.name)
        transaction.on_commit(lambda: default_storage.delete(name))
    return job
