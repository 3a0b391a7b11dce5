"""Check a results CSV before importing it, then import exactly the file checked.

The portal's import is two steps (docs/results-csv.md, "Check, then confirm"):

1. `import_check` stores the upload as an ImportJob in the CHECKED state, keyed by its
   SHA-256, and runs the real import (`results_import`: every read, SQL and cell check)
   inside a transaction it always rolls back. While the results exist in that
   transaction, `inspect` reads what the page shows of them (their cells, what verifying
   them would pay); then the rollback undoes every row: results, participant records,
   the batch. Running the import itself, rather than a copy of its checks, is what makes
   the preview say what the import will do. What the rollback cannot undo is sequence
   numbers: result ids skip the ones the check used. A refused file keeps nothing.
2. `import_check_confirm` takes the job's id and the SHA-256 the page showed; it refuses
   an unknown job, another user's, one already confirmed, a digest that differs, or a
   stored file that no longer hashes to it. It then queues the job as import_job_queue
   does (QUEUED, and the outbox message, in one transaction): the import runs through
   import_job_run and is checked again there, all or nothing, once.

A checked job counts nowhere: the jobs API does not show it (outcomes.selectors), no
result or record exists for it. A new check by the same user of the same programme
replaces their earlier one; `import_checks_prune` deletes those older than
IMPORT_CHECK_RETENTION_HOURS (the `import_checks_prune` command).
"""

import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import IO

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import models, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext_lazy as _

from outcomes.csv_import import results_import
from outcomes.import_jobs import IMPORT_TASK
from outcomes.models import ImportJob, ImportJobStatus, Result, Stage
from sib.exceptions import Conflict, NotFound
from sib.models import Programme, User
from sib.outbox import outbox_enqueue

IMPORT_CHECK_RETENTION_HOURS = 24
HASH_BLOCK = 1 << 20


class _RolledBack(Exception):
    """Carries what `inspect` saw out of the transaction the check rolls back."""

    def __init__(self, seen: object) -> None:
        super().__init__()
        self.seen = seen


def _stored_sha256(name: str) -> str:
    digest = hashlib.sha256()
    with default_storage.open(name, "rb") as stream:
        while block := stream.read(HASH_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def import_check[Seen](
    *,
    programme: Programme,
    user: User,
    stream: IO[bytes],
    inspect: Callable[[list[Result]], Seen],
    filename: str = "",
    decimal_comma: bool = False,
    stage: str = Stage.INTERIM,
    over_planned_size: bool = False,
) -> tuple[ImportJob, Seen]:
    """Check a CSV as its import would, keep it for confirmation, and return its job and
    what `inspect` said of the results the import would make; nothing else is kept.

    Raises ImportRejected, listing every bad row, when the import would refuse the file:
    then nothing is kept at all.
    """
    job = ImportJob(
        programme=programme,
        requested_by=user,
        filename=filename[:255],
        decimal_comma=decimal_comma,
        stage=stage,
        over_planned_size=over_planned_size,
        status=ImportJobStatus.CHECKED,
    )
    job.file.save("upload.csv", File(stream), save=False)
    name = str(job.file.name)
    try:
        job.sha256 = _stored_sha256(name)
        try:
            with transaction.atomic():
                with default_storage.open(name, "rb") as stored:
                    summary = results_import(
                        programme=programme,
                        user=user,
                        stream=stored,
                        filename=filename,
                        decimal_comma=decimal_comma,
                        stage=stage,
                        over_planned_size=over_planned_size,
                    )
                made = list(
                    Result.objects.filter(pk__in=summary.result_ids)
                    .select_related("programme", "metric", "cohort", "period")
                    .order_by("id")
                )
                raise _RolledBack(inspect(made))
        except _RolledBack as rolled_back:
            seen: Seen = rolled_back.seen  # type: ignore[assignment]
        with transaction.atomic():
            earlier = ImportJob.objects.filter(
                programme=programme, requested_by=user, status=ImportJobStatus.CHECKED
            )
            _delete_checks(earlier)
            job.save()
    except BaseException:
        default_storage.delete(name)
        raise
    return job, seen


def import_check_confirm(
    *, programme: Programme, user: User, job_id: int, sha256: str
) -> ImportJob:
    """Queue the import of the file `user` checked as job `job_id`, if it is still the
    file whose SHA-256 the preview showed; the import checks it again when it runs.

    Raises NotFound for a job that is not this user's pending check of this programme,
    Conflict when it was confirmed already or its file is not the one checked.
    """
    with transaction.atomic():
        # The row lock makes a double click confirm once: the second waits, then finds
        # the job queued.
        job = (
            ImportJob.objects.select_for_update()
            .filter(programme=programme, requested_by=user, pk=job_id)
            .first()
        )
        if job is None:
            raise NotFound(
                _("No checked file awaits your confirmation here: upload it again."),
                code="import_check_not_found",
            )
        if job.status != ImportJobStatus.CHECKED:
            raise Conflict(
                _("This file was confirmed already: it is imported once."),
                code="import_check_confirmed",
            )
        if not constant_time_compare(sha256, job.sha256) or (
            _stored_sha256(str(job.file.name)) != job.sha256
        ):
            raise Conflict(
                _("This is not the file that was checked: upload it again to check it."),
                code="import_check_changed",
            )
        job.status = ImportJobStatus.QUEUED
        job.created_at = timezone.now()
        job.save(update_fields=["status", "created_at"])
        outbox_enqueue(task_name=IMPORT_TASK, kwargs={"job_id": job.pk})
    return job


def import_checks_prune(*, now: datetime | None = None) -> int:
    """Delete the checked files never confirmed, older than IMPORT_CHECK_RETENTION_HOURS;
    return how many."""
    before = (now or timezone.now()) - timedelta(hours=IMPORT_CHECK_RETENTION_HOURS)
    with transaction.atomic():
        return _delete_checks(
            ImportJob.objects.filter(status=ImportJobStatus.CHECKED, created_at__lt=before)
        )


def _delete_checks(jobs: models.QuerySet[ImportJob]) -> int:
    """Delete pending checks and, once that commits, their files (raw participant ids)."""
    names = [str(name) for name in jobs.values_list("file", flat=True)]
    deleted, _counts = jobs.delete()
    for name in names:
        transaction.on_commit(lambda name=name: default_storage.delete(name))  # type: ignore[misc]
    return deleted
